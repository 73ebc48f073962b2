// Shared infer for the comparison ops Equal, Less, Greater: both operands of one numeric (Equal: or bool)
// dtype, numpy broadcasting, a bool output (https://onnx.ai/onnx/repo-docs/Broadcasting.html).
#pragma once

#include "ops/elementwise.h"
#include "ops/op_util.h"

namespace inr {

Status infer_comparison(Node& node, RunFn run, bool allow_bool);

// Each op's run visits the dtype itself (see binary_arith.h for why the functor is not shared).

}  // namespace inr
