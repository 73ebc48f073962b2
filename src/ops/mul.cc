// Mul: C = A * B, numpy broadcasting. ONNX spec: https://onnx.ai/onnx/operators/onnx__Mul.html (opsets 7, 13, 14).
// Integer types wrap around like numpy (the uint8 node tests rely on it).
#include "ops/binary_arith.h"
#include "ops/op_schema.h"

namespace inr {

namespace {
template <typename T>
struct Fn {
  T operator()(T a, T b) const { return static_cast<T>(a * b); }
};

Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  return run_binary_arith<Fn>(node, in, out);
}
Status infer(Node& node) { return infer_binary_arith(node, run); }
}  // namespace

const OpSchema& schema_mul() {
  static const OpSchema s{Op::kMul, 2, 2, 1, 1, infer, run};
  return s;
}

}  // namespace inr
