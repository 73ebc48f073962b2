// Reciprocal: y = 1 / x. ONNX spec: https://onnx.ai/onnx/operators/onnx__Reciprocal.html (opsets 6, 13).
#include <cmath>

#include "ops/elementwise.h"
#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
Status run(const Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  map_unary<float>(in[0], out[0], [](float x) { return 1.f / x; });
  return Status::ok();
}
}  // namespace

const OpSchema& schema_reciprocal() {
  static const OpSchema s{Op::kReciprocal, 1, 1, 1, 1, infer_unary_float, run};
  return s;
}

}  // namespace inr
