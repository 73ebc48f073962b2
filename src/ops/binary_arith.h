// Shared infer/run for the broadcasting arithmetic ops Add, Sub, Mul, Div
// (https://onnx.ai/onnx/repo-docs/Broadcasting.html). f32 for the network, integer types for shape
// arithmetic (Shape -> Mul -> Reshape) and the uint8 node tests.
#pragma once

#include "ops/elementwise.h"
#include "ops/op_util.h"

namespace inr {

Status infer_binary_arith(Node& node, RunFn run);

// Each op's run calls visit_numeric + broadcast_binary itself: a shared template taking the op's functor
// from an anonymous namespace made GCC 12 emit the visitor's lambda as one weak symbol for all four ops.

}  // namespace inr
