// Not: logical negation of a bool tensor. ONNX spec: https://onnx.ai/onnx/operators/onnx__Not.html (opset 1).
#include "ops/elementwise.h"
#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
Status run(const Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  map_unary<uint8_t>(in[0], out[0], [](uint8_t x) { return static_cast<uint8_t>(x == 0); });
  return Status::ok();
}

Status infer(Node& node) {
  const Value* x = node.inputs[0];
  INR_TRY(expect_dtype(x, {DType::kBool}, "input X"));
  set_output(node, 0, DType::kBool, x->shape);
  return fold_int_constants(node, run);
}
}  // namespace

const OpSchema& schema_logical_not() {
  static const OpSchema s{Op::kNot, 1, 1, 1, 1, infer, run};
  return s;
}

}  // namespace inr
