// Gather: out = data indexed along `axis` (default 0) by `indices` (int32/int64, negative counts from the
// end); out shape = data[:axis] + indices.shape + data[axis+1:].
// ONNX spec: https://onnx.ai/onnx/operators/onnx__Gather.html (opsets 1, 11, 13).
#include <cstring>

#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const Shape& s = in[0].shape();
  int64_t axis = node.attr_int("axis", 0);
  if (axis < 0) axis += static_cast<int64_t>(s.size());
  size_t a = static_cast<size_t>(axis);
  int64_t outer = dims_product(s, 0, a), len = s[a];
  size_t row = static_cast<size_t>(dims_product(s, a + 1, s.size())) * dtype_size(in[0].dtype());
  const Tensor& idx = in[1];
  int64_t n_idx = idx.numel();
  const auto* src = static_cast<const uint8_t*>(in[0].raw());
  auto* dst = static_cast<uint8_t*>(out[0].raw());
  for (int64_t j = 0; j < n_idx; ++j) {
    int64_t k = idx.dtype() == DType::kI64 ? idx.data<int64_t>()[j] : idx.data<int32_t>()[j];
    if (k < -len || k >= len) return error("index {} out of range for axis {} of size {}", k, axis, len);
    if (k < 0) k += len;
    for (int64_t o = 0; o < outer; ++o)
      std::memcpy(dst + (o * n_idx + j) * row, src + (o * len + k) * row, row);
  }
  return Status::ok();
}

Status infer(Node& node) {
  const Value* data = node.inputs[0];
  const Value* idx = node.inputs[1];
  INR_TRY(expect_byte_dtype(data, "data"));
  INR_TRY(expect_dtype(idx, {DType::kI64, DType::kI32}, "indices"));
  int64_t rank = static_cast<int64_t>(data->shape.size());
  if (rank == 0) return error("data '{}' is a scalar, expected rank >= 1", data->name);
  INR_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(node.attr_int("axis", 0), rank));
  Shape out(data->shape.begin(), data->shape.begin() + axis);
  out.insert(out.end(), idx->shape.begin(), idx->shape.end());
  out.insert(out.end(), data->shape.begin() + axis + 1, data->shape.end());
  set_output(node, 0, data->dtype, std::move(out));
  return fold_int_constants(node, run);
}
}  // namespace

const OpSchema& schema_gather() {
  static const OpSchema s{Op::kGather, 2, 2, 1, 1, infer, run};
  return s;
}

}  // namespace inr
