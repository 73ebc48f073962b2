// Flatten: [d0, ..., dn] -> [d0 * ... * d(axis-1), d(axis) * ... * dn], axis in [-r, r], default 1.
// ONNX spec: https://onnx.ai/onnx/operators/onnx__Flatten.html (opsets 1, 9, 11, 13).
#include "core/tensor_size.h"
#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
constexpr int64_t kDefaultAxis = 1;  // ONNX default

Status infer(Node& node) {
  const Value* x = node.inputs[0];
  INR_TRY(expect_byte_dtype(x, "input"));
  int64_t rank = static_cast<int64_t>(x->shape.size());
  int64_t axis = node.attr_int("axis", kDefaultAxis);
  if (axis < -rank || axis > rank) return error("axis {} out of range for rank {} (expected [-{}, {}])", axis, rank, rank, rank);
  if (axis < 0) axis += rank;
  size_t a = static_cast<size_t>(axis);
  // An empty input may have huge dims whose product wraps: checked (the shape of an empty tensor still counts).
  int64_t rows = 1, cols = 1;
  for (size_t d = 0; d < x->shape.size(); ++d) {
    int64_t& side = d < a ? rows : cols;
    INR_ASSIGN_OR_RETURN(side, checked_mul(side, x->shape[d], fmt::format("output shape of {}", shape_str(x->shape))));
  }
  set_output(node, 0, x->dtype, {rows, cols});
  return fold_int_constants(node, copy_input0);
}
}  // namespace

const OpSchema& schema_flatten() {
  static const OpSchema s{Op::kFlatten, 1, 1, 1, 1, infer, copy_input0};
  return s;
}

}  // namespace inr
