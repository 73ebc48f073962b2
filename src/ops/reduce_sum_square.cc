// ReduceSumSquare: the sum of squares over `axes`, keepdims default 1; all axes when axes is empty, unless
// noop_with_empty_axes=1. ONNX spec: https://onnx.ai/onnx/operators/onnx__ReduceSumSquare.html (opsets 1, 11,
// 13, 18): axes is an attribute before opset 18 and an optional (constant) input from 18. Shared machinery:
// ops/reduce_util.h.
#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/op_schema.h"
#include "ops/reduce_util.h"

namespace inr {

namespace {
constexpr int64_t kOpsetAxesInput = 18;

Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  return reduce_f32(
      node, in[0], out[0], kOpsetAxesInput, 0.0, [](double a, double x) { return a + x * x; },
      [](double a, double) { return a; });
}
Status infer(Node& node) {
  return infer_reduce_float(node, kOpsetAxesInput);
}
}  // namespace

const OpSchema& schema_reduce_sum_square() {
  static const OpSchema s{Op::kReduceSumSquare, 1, 2, 1, 1, infer, run};
  return s;
}

}  // namespace inr
