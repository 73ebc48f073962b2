// Shared by Softmax and LogSoftmax (https://onnx.ai/onnx/operators/onnx__Softmax.html,
// https://onnx.ai/onnx/operators/onnx__LogSoftmax.html). Before opset 13 the input is coerced to 2-D at
// `axis` (default 1) and normalised over the flattened trailing block; from opset 13 it is normalised
// along `axis` alone (default -1).
#pragma once

#include "ops/op_util.h"

namespace inr {

Status infer_softmax(Node& node);
// log_output: LogSoftmax (x - max - log(sum(exp(x - max)))) instead of Softmax.
Status run_softmax(const Node& node, const Tensor& x, Tensor& y, bool log_output);

}  // namespace inr
