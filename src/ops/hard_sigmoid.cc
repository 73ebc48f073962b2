// HardSigmoid: y = max(0, min(1, alpha * x + beta)), alpha default 0.2, beta default 0.5.
// ONNX spec: https://onnx.ai/onnx/operators/onnx__HardSigmoid.html (opsets 6).
#include <algorithm>

#include "ops/elementwise.h"
#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
constexpr float kDefaultAlpha = 0.2f;  // ONNX defaults
constexpr float kDefaultBeta = 0.5f;

Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  float alpha = node.attr_float("alpha", kDefaultAlpha);
  float beta = node.attr_float("beta", kDefaultBeta);
  map_unary<float>(in[0], out[0], [=](float v) { return std::max(0.f, std::min(1.f, alpha * v + beta)); });
  return Status::ok();
}
}  // namespace

const OpSchema& schema_hard_sigmoid() {
  static const OpSchema s{Op::kHardSigmoid, 1, 1, 1, 1, infer_unary_float, run};
  return s;
}

}  // namespace inr
