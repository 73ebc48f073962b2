// PRelu: y = x < 0 ? slope * x : x, slope broadcast to X's shape (unidirectional numpy broadcasting).
// ONNX spec: https://onnx.ai/onnx/operators/onnx__PRelu.html (opsets 6, 7, 9, 16).
#include "ops/elementwise.h"
#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
Status run(const Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  broadcast_binary<float>(in[0], in[1], out[0], [](float x, float s) { return x < 0.f ? s * x : x; });
  return Status::ok();
}

Status infer(Node& node) {
  const Value* x = node.inputs[0];
  const Value* slope = node.inputs[1];
  INR_TRY(expect_dtype(x, {DType::kF32}, "input X"));
  INR_TRY(expect_dtype(slope, {DType::kF32}, "slope"));
  INR_ASSIGN_OR_RETURN(Shape out, broadcast_shapes(x->shape, slope->shape));
  if (out != x->shape)
    return error("slope {} does not broadcast to X's shape {}", shape_str(slope->shape), shape_str(x->shape));
  set_output(node, 0, DType::kF32, x->shape);
  return Status::ok();
}
}  // namespace

const OpSchema& schema_p_relu() {
  static const OpSchema s{Op::kPRelu, 2, 2, 1, 1, infer, run};
  return s;
}

}  // namespace inr
