// ReduceMean: the mean over `axes` (all axes when empty, unless noop_with_empty_axes=1), keepdims default 1.
// ONNX spec: https://onnx.ai/onnx/operators/onnx__ReduceMean.html (opsets 1, 11, 13, 18): axes is an
// attribute before opset 18 and an optional (constant) input from 18. Shared machinery: ops/reduce_util.h.
#include "ops/op_schema.h"
#include "ops/reduce_util.h"

namespace inr {

namespace {
constexpr int64_t kOpsetAxesInput = 18;

Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  return reduce_f32(node, in[0], out[0], kOpsetAxesInput, 0.0, [](double a, double x) { return a + x; },
                    [](double a, double count) { return a / count; });
}
Status infer(Node& node) { return infer_reduce_float(node, kOpsetAxesInput); }
}  // namespace

const OpSchema& schema_reduce_mean() {
  static const OpSchema s{Op::kReduceMean, 1, 2, 1, 1, infer, run};
  return s;
}

}  // namespace inr
