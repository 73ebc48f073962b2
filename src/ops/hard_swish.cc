// HardSwish: y = x * max(0, min(1, x / 6 + 1 / 2)) (HardSigmoid with alpha 1/6, beta 0.5).
// ONNX spec: https://onnx.ai/onnx/operators/onnx__HardSwish.html (opset 14).
#include <algorithm>

#include "ops/elementwise.h"
#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
constexpr float kAlpha = 1.f / 6.f;  // fixed by the spec
constexpr float kBeta = 0.5f;

Status run(const Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  map_unary<float>(in[0], out[0], [](float v) { return v * std::max(0.f, std::min(1.f, kAlpha * v + kBeta)); });
  return Status::ok();
}
}  // namespace

const OpSchema& schema_hard_swish() {
  static const OpSchema s{Op::kHardSwish, 1, 1, 1, 1, infer_unary_float, run};
  return s;
}

}  // namespace inr
