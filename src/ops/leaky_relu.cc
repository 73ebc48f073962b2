// LeakyRelu: y = x for x >= 0, alpha * x otherwise (alpha default 0.01).
// ONNX spec: https://onnx.ai/onnx/operators/onnx__LeakyRelu.html (opsets 6, 16).
#include "ops/elementwise.h"
#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
constexpr float kDefaultAlpha = 0.01f;  // ONNX default

Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  float alpha = node.attr_float("alpha", kDefaultAlpha);
  map_unary<float>(in[0], out[0], [alpha](float v) { return v >= 0.f ? v : alpha * v; });
  return Status::ok();
}
}  // namespace

const OpSchema& schema_leaky_relu() {
  static const OpSchema s{Op::kLeakyRelu, 1, 1, 1, 1, infer_unary_float, run};
  return s;
}

}  // namespace inr
