// BatchNormalization, inference mode: y = (x - mean) / sqrt(var + epsilon) * scale + B per channel (dim 1).
// ONNX spec: https://onnx.ai/onnx/operators/onnx__BatchNormalization.html (opsets 7, 9, 14, 15).
// Training mode (training_mode=1, or the running/saved statistics outputs) is out of scope: an error.
#include <cmath>
#include <vector>

#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
constexpr float kDefaultEpsilon = 1e-5f;  // ONNX default
constexpr int64_t kOpsetWithSpatial = 9;  // opset 7 has the `spatial` attribute; 9 drops it

Status infer(Node& node) {
  const Value* x = node.inputs[0];
  INR_TRY(expect_dtype(x, {DType::kF32}, "input X"));
  if (x->shape.size() < 2) return error("input X rank {}, expected >= 2 (N, C, ...)", x->shape.size());
  if (node.attr_int("training_mode", 0) != 0) return error("training_mode=1 is not supported (inference only)");
  if (node_opset(node) < kOpsetWithSpatial && node.attr_int("spatial", 1) != 1)
    return error("spatial=0 is not supported");
  for (size_t i = 1; i < node.outputs.size(); ++i)
    if (node.outputs[i] != nullptr)
      return error("output {} (training statistics) is not supported in inference mode", i);
  int64_t channels = x->shape[1];
  static constexpr const char* kNames[] = {"", "scale", "B", "input_mean", "input_var"};
  for (size_t i = 1; i < 5; ++i) {
    const Value* v = node.inputs[i];
    INR_TRY(expect_dtype(v, {DType::kF32}, kNames[i]));
    if (v->shape != Shape{channels})
      return error("{} '{}' has shape {}, expected [{}]", kNames[i], v->name, shape_str(v->shape), channels);
  }
  set_output(node, 0, DType::kF32, x->shape);
  return Status::ok();
}

Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  double eps = node.attr_float("epsilon", kDefaultEpsilon);
  const Shape& s = in[0].shape();
  int64_t channels = s[1], plane = dims_product(s, 2, s.size());
  const float* scale = in[1].data<float>();
  const float* bias = in[2].data<float>();
  const float* mean = in[3].data<float>();
  const float* var = in[4].data<float>();
  // Per-channel affine form y = x * a + b, computed in double.
  std::vector<double> a(channels), b(channels);
  for (int64_t c = 0; c < channels; ++c) {
    a[c] = scale[c] / std::sqrt(static_cast<double>(var[c]) + eps);
    b[c] = bias[c] - mean[c] * a[c];
  }
  const float* x = in[0].data<float>();
  float* y = out[0].data<float>();
  for (int64_t n = 0; n < s[0]; ++n)
    for (int64_t c = 0; c < channels; ++c) {
      int64_t base = (n * channels + c) * plane;
      for (int64_t i = 0; i < plane; ++i) y[base + i] = static_cast<float>(x[base + i] * a[c] + b[c]);
    }
  return Status::ok();
}
}  // namespace

const OpSchema& schema_batch_normalization() {
  static const OpSchema s{Op::kBatchNormalization, 5, 5, 1, 5, infer, run};
  return s;
}

}  // namespace inr
