// Where: out = condition ? X : Y, with numpy broadcasting of all three; X and Y share any whole-byte dtype.
// ONNX spec: https://onnx.ai/onnx/operators/onnx__Where.html (opsets 9, 16).
#include <cstring>

#include "ops/elementwise.h"
#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
Status run(const Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  const auto* c = in[0].data<uint8_t>();
  const auto* x = static_cast<const uint8_t*>(in[1].raw());
  const auto* y = static_cast<const uint8_t*>(in[2].raw());
  auto* o = static_cast<uint8_t*>(out[0].raw());
  size_t elem = dtype_size(in[1].dtype());
  for_each_broadcast_n(out[0].shape(), {in[0].shape(), in[1].shape(), in[2].shape()},
                       [&](int64_t i, const std::vector<int64_t>& at) {
                         const uint8_t* src = c[at[0]] ? x + at[1] * elem : y + at[2] * elem;
                         std::memcpy(o + i * elem, src, elem);
                       });
  return Status::ok();
}

Status infer(Node& node) {
  const Value* c = node.inputs[0];
  const Value* x = node.inputs[1];
  const Value* y = node.inputs[2];
  INR_TRY(expect_dtype(c, {DType::kBool}, "condition"));
  INR_TRY(expect_byte_dtype(x, "input X"));
  if (y->dtype != x->dtype)
    return error("input Y '{}' has dtype {}, expected X's {}", y->name, dtype_name(y->dtype),
                 dtype_name(x->dtype));
  INR_ASSIGN_OR_RETURN(Shape xy, broadcast_shapes(x->shape, y->shape));
  INR_ASSIGN_OR_RETURN(Shape out, broadcast_shapes(c->shape, xy));
  set_output(node, 0, x->dtype, std::move(out));
  return fold_int_constants(node, run);
}
}  // namespace

const OpSchema& schema_where() {
  static const OpSchema s{Op::kWhere, 3, 3, 1, 1, infer, run};
  return s;
}

}  // namespace inr
