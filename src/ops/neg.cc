// Neg: y = -x. ONNX spec: https://onnx.ai/onnx/operators/onnx__Neg.html (opsets 6, 13); f32 and the signed
// integer types (integers wrap like numpy).
#include "ops/elementwise.h"
#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
Status run(const Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  return visit_numeric(in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    map_unary<T>(in[0], out[0], [](T x) { return static_cast<T>(-x); });
  });
}

Status infer(Node& node) {
  const Value* x = node.inputs[0];
  INR_TRY(expect_dtype(x, {DType::kF32, DType::kF64, DType::kI8, DType::kI16, DType::kI32, DType::kI64},
                       "input X"));
  set_output(node, 0, x->dtype, x->shape);
  return fold_int_constants(node, run);
}
}  // namespace

const OpSchema& schema_neg() {
  static const OpSchema s{Op::kNeg, 1, 1, 1, 1, infer, run};
  return s;
}

}  // namespace inr
