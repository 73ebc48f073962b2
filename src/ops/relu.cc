// Relu: y = max(0, x). ONNX spec: https://onnx.ai/onnx/operators/onnx__Relu.html (opsets 6, 13, 14).
#include <algorithm>

#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
Status run(const Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  const float* x = in[0].data<float>();
  float* y = out[0].data<float>();
  for (int64_t i = 0, n = in[0].numel(); i < n; ++i) y[i] = std::max(x[i], 0.f);
  return Status::ok();
}
}  // namespace

const OpSchema& schema_relu() {
  static const OpSchema s{Op::kRelu, 1, 1, 1, 1, infer_unary_float, run};
  return s;
}

}  // namespace inr
