// Sub: C = A - B, numpy broadcasting. ONNX spec: https://onnx.ai/onnx/operators/onnx__Sub.html (opsets 7, 13, 14).
// Integer types wrap around like numpy (the uint8 node tests rely on it).
#include "ops/binary_arith.h"
#include "ops/op_schema.h"

namespace inr {

namespace {
Status run(const Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  return visit_numeric(in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    broadcast_binary<T>(in[0], in[1], out[0], [](T a, T b) { return static_cast<T>(a - b); });
  });
}
Status infer(Node& node) { return infer_binary_arith(node, run); }
}  // namespace

const OpSchema& schema_sub() {
  static const OpSchema s{Op::kSub, 2, 2, 1, 1, infer, run};
  return s;
}

}  // namespace inr
