// LRN: local response normalisation across channels,
//   y[n,c,...] = x[n,c,...] / (bias + alpha / size * sum_{c' in window(c)} x[n,c',...]^2) ^ beta
// with window(c) = [c - floor((size-1)/2), c + ceil((size-1)/2)] clipped to the channels.
// ONNX spec: https://onnx.ai/onnx/operators/onnx__LRN.html (opsets 1, 13).
#include <algorithm>
#include <cmath>

#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
constexpr float kDefaultAlpha = 1e-4f;  // ONNX defaults
constexpr float kDefaultBeta = 0.75f;
constexpr float kDefaultBias = 1.0f;

Status infer(Node& node) {
  const Value* x = node.inputs[0];
  INR_TRY(expect_dtype(x, {DType::kF32}, "input X"));
  if (x->shape.size() < 3) return error("input X rank {}, expected >= 3 (N, C, spatial...)", x->shape.size());
  if (!node.has_attr("size")) return error("attribute size is required");
  if (node.attr_int("size", 0) < 1) return error("size {} must be >= 1", node.attr_int("size", 0));
  set_output(node, 0, DType::kF32, x->shape);
  return Status::ok();
}

Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  int64_t size = node.attr_int("size", 1);
  double alpha = node.attr_float("alpha", kDefaultAlpha);
  double beta = node.attr_float("beta", kDefaultBeta);
  double bias = node.attr_float("bias", kDefaultBias);
  const Shape& s = in[0].shape();
  int64_t channels = s[1], plane = dims_product(s, 2, s.size());
  int64_t before = (size - 1) / 2, after = size - 1 - before;  // floor and ceil of (size-1)/2
  const float* x = in[0].data<float>();
  float* y = out[0].data<float>();
  for (int64_t n = 0; n < s[0]; ++n)
    for (int64_t c = 0; c < channels; ++c) {
      int64_t c0 = std::max<int64_t>(0, c - before), c1 = std::min(channels - 1, c + after);
      for (int64_t i = 0; i < plane; ++i) {
        double sq = 0;
        for (int64_t k = c0; k <= c1; ++k) {
          double v = x[(n * channels + k) * plane + i];
          sq += v * v;
        }
        int64_t at = (n * channels + c) * plane + i;
        y[at] = static_cast<float>(x[at] / std::pow(bias + alpha / static_cast<double>(size) * sq, beta));
      }
    }
  return Status::ok();
}
}  // namespace

const OpSchema& schema_lrn() {
  static const OpSchema s{Op::kLRN, 1, 1, 1, 1, infer, run};
  return s;
}

}  // namespace inr
