// InstanceNormalization: for each sample n and channel c of X [N, C, D...],
// y = scale[c] * (x - mean) / sqrt(var + epsilon) + B[c] over the spatial dims (epsilon default 1e-5).
// ONNX spec: https://onnx.ai/onnx/operators/onnx__InstanceNormalization.html (opsets 1, 6). Statistics in
// double.
#include <cmath>

#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const Shape& s = in[0].shape();
  int64_t n = s[0], c = s[1], len = dims_product(s, 2, s.size());
  double eps = node.attr_float("epsilon", 1e-5f);
  const float* x = in[0].data<float>();
  const float* scale = in[1].data<float>();
  const float* bias = in[2].data<float>();
  float* y = out[0].data<float>();
  for (int64_t i = 0; i < n * c; ++i) {
    const float* xr = x + i * len;
    double mean = 0, var = 0;
    for (int64_t j = 0; j < len; ++j) mean += xr[j];
    mean /= static_cast<double>(len);
    for (int64_t j = 0; j < len; ++j) var += (xr[j] - mean) * (xr[j] - mean);
    var /= static_cast<double>(len);
    double k = scale[i % c] / std::sqrt(var + eps);
    for (int64_t j = 0; j < len; ++j) y[i * len + j] = static_cast<float>((xr[j] - mean) * k + bias[i % c]);
  }
  return Status::ok();
}

Status infer(Node& node) {
  const Value* x = node.inputs[0];
  INR_TRY(expect_dtype(x, {DType::kF32}, "input"));
  if (x->shape.size() < 3)
    return error("input '{}' has rank {}, expected >= 3 (N, C, D...)", x->name, x->shape.size());
  for (size_t i = 1; i < 3; ++i) {
    INR_TRY(expect_dtype(node.inputs[i], {DType::kF32}, i == 1 ? "scale" : "B"));
    if (node.inputs[i]->shape != Shape{x->shape[1]})
      return error("{} has shape {}, expected [{}] (the channels)", i == 1 ? "scale" : "B",
                   shape_str(node.inputs[i]->shape), x->shape[1]);
  }
  set_output(node, 0, DType::kF32, x->shape);
  return Status::ok();
}
}  // namespace

const OpSchema& schema_instance_normalization() {
  static const OpSchema s{Op::kInstanceNormalization, 3, 3, 1, 1, infer, run};
  return s;
}

}  // namespace inr
