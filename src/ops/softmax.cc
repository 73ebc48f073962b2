// Softmax: y = exp(x) / sum(exp(x)), with the max subtracted first for stability.
// ONNX spec: https://onnx.ai/onnx/operators/onnx__Softmax.html (opsets 1, 11, 13); shared kernel in
// ops/softmax_kernel.h.
#include "ops/op_schema.h"
#include "ops/softmax_kernel.h"

namespace inr {

namespace {
Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  return run_softmax(node, in[0], out[0], /*log_output=*/false);
}
}  // namespace

const OpSchema& schema_softmax() {
  static const OpSchema s{Op::kSoftmax, 1, 1, 1, 1, infer_softmax, run};
  return s;
}

}  // namespace inr
