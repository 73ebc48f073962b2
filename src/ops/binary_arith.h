// Shared infer/run for the broadcasting arithmetic ops Add, Sub, Mul, Div
// (https://onnx.ai/onnx/repo-docs/Broadcasting.html). f32 for the network, integer types for shape
// arithmetic (Shape -> Mul -> Reshape) and the uint8 node tests.
#pragma once

#include "ops/elementwise.h"
#include "ops/op_util.h"

namespace inr {

Status infer_binary_arith(Node& node, RunFn run);

template <template <typename> class F>
Status run_binary_arith(const Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  return visit_numeric(in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    broadcast_binary<T>(in[0], in[1], out[0], F<T>{});
  });
}

}  // namespace inr
