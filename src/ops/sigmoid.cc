// Sigmoid: y = 1 / (1 + exp(-x)). ONNX spec: https://onnx.ai/onnx/operators/onnx__Sigmoid.html (opsets 6, 13).
#include <cmath>

#include "ops/elementwise.h"
#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
Status run(const Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  // Evaluated in double from the side where exp() cannot overflow.
  map_unary<float>(in[0], out[0], [](float v) {
    double x = v;
    if (x >= 0) return static_cast<float>(1.0 / (1.0 + std::exp(-x)));
    double e = std::exp(x);
    return static_cast<float>(e / (1.0 + e));
  });
  return Status::ok();
}
}  // namespace

const OpSchema& schema_sigmoid() {
  static const OpSchema s{Op::kSigmoid, 1, 1, 1, 1, infer_unary_float, run};
  return s;
}

}  // namespace inr
