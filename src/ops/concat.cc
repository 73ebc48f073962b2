// Concat: joins inputs of equal rank along `axis` (required); other dims must match.
// ONNX spec: https://onnx.ai/onnx/operators/onnx__Concat.html (opsets 4, 11, 13).
#include <cstring>

#include "core/tensor_size.h"
#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const Shape& os = out[0].shape();
  int64_t axis = node.attr_int("axis", 0);
  if (axis < 0) axis += static_cast<int64_t>(os.size());
  size_t a = static_cast<size_t>(axis);
  size_t elem = dtype_size(out[0].dtype());
  int64_t outer = dims_product(os, 0, a);
  int64_t out_row = dims_product(os, a, os.size()) * static_cast<int64_t>(elem);  // bytes per outer index
  auto* dst = static_cast<uint8_t*>(out[0].raw());
  int64_t offset = 0;
  for (const Tensor& t : in) {
    int64_t row = dims_product(t.shape(), a, t.shape().size()) * static_cast<int64_t>(elem);
    const auto* src = static_cast<const uint8_t*>(t.raw());
    for (int64_t o = 0; o < outer && row > 0; ++o) std::memcpy(dst + o * out_row + offset, src + o * row, row);
    offset += row;
  }
  return Status::ok();
}

Status infer(Node& node) {
  const Value* first = node.inputs[0];
  INR_TRY(expect_byte_dtype(first, "input 0"));
  if (!node.has_attr("axis")) return error("attribute axis is required");
  int64_t rank = static_cast<int64_t>(first->shape.size());
  INR_ASSIGN_OR_RETURN(int64_t axis, existing_axis(node.attr_int("axis", 0), rank));
  Shape out = first->shape;
  for (size_t i = 1; i < node.inputs.size(); ++i) {
    const Value* v = node.inputs[i];
    if (v == nullptr) return error("input {} is missing", i);
    if (v->dtype != first->dtype)
      return error("input {} '{}' has dtype {}, expected {}", i, v->name, dtype_name(v->dtype), dtype_name(first->dtype));
    if (v->shape.size() != first->shape.size())
      return error("input {} '{}' has rank {}, expected {}", i, v->name, v->shape.size(), rank);
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis && v->shape[d] != first->shape[d])
        return error("input {} shape {} differs from {} outside axis {}", i, shape_str(v->shape), shape_str(first->shape), axis);
    INR_ASSIGN_OR_RETURN(out[axis], checked_add(out[axis], v->shape[axis], fmt::format("output dim {}", axis)));
  }
  set_output(node, 0, first->dtype, std::move(out));
  return fold_int_constants(node, run);
}
}  // namespace

const OpSchema& schema_concat() {
  static const OpSchema s{Op::kConcat, 1, -1, 1, 1, infer, run};
  return s;
}

}  // namespace inr
