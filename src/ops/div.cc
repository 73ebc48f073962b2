// Div: C = A / B, numpy broadcasting. ONNX spec: https://onnx.ai/onnx/operators/onnx__Div.html
// (opsets 7, 13, 14). Integer division truncates toward zero (C semantics, as ONNX Runtime does).
#include <type_traits>

#include "ops/binary_arith.h"
#include "ops/op_schema.h"

namespace inr {

namespace {
template <typename T>
T divide(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    // Integer division by zero is undefined in ONNX; return 0 rather than trap the process.
    if (b == 0) return T{0};
  }
  return static_cast<T>(a / b);
}

Status run(const Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  return visit_numeric(in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    broadcast_binary<T>(in[0], in[1], out[0], divide<T>);
  });
}
Status infer(Node& node) { return infer_binary_arith(node, run); }
}  // namespace

const OpSchema& schema_div() {
  static const OpSchema s{Op::kDiv, 2, 2, 1, 1, infer, run};
  return s;
}

}  // namespace inr
