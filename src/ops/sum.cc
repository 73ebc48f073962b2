// Sum: element-wise sum of one or more inputs, numpy broadcasting.
// ONNX spec: https://onnx.ai/onnx/operators/onnx__Sum.html (opsets 8, 13).
#include "ops/elementwise.h"
#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
Status infer(Node& node) {
  const Value* first = node.inputs[0];
  INR_TRY(expect_dtype(first, {DType::kF32, DType::kF64}, "input 0"));
  Shape out = first->shape;
  for (size_t i = 1; i < node.inputs.size(); ++i) {
    const Value* v = node.inputs[i];
    if (v == nullptr) return error("input {} is missing (Sum has no optional inputs)", i);
    if (v->dtype != first->dtype)
      return error("input {} '{}' has dtype {}, expected {}", i, v->name, dtype_name(v->dtype), dtype_name(first->dtype));
    INR_ASSIGN_OR_RETURN(out, broadcast_shapes(out, v->shape));
  }
  set_output(node, 0, first->dtype, std::move(out));
  return Status::ok();
}

template <typename T>
void sum(std::span<const Tensor> in, Tensor& out) {
  // out = broadcast(in[0]); then out += in[i] in input order (the order ONNX Runtime accumulates in).
  broadcast_binary<T>(in[0], in[0], out, [](T a, T) { return a; });
  for (size_t i = 1; i < in.size(); ++i) broadcast_binary<T>(out, in[i], out, [](T a, T b) { return a + b; });
}

Status run(const Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  if (in[0].dtype() == DType::kF64) {
    sum<double>(in, out[0]);
  } else {
    sum<float>(in, out[0]);
  }
  return Status::ok();
}
}  // namespace

const OpSchema& schema_sum() {
  static const OpSchema s{Op::kSum, 1, -1, 1, 1, infer, run};
  return s;
}

}  // namespace inr
