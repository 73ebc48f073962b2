// Flatten: [d0, ..., dn] -> [d0 * ... * d(axis-1), d(axis) * ... * dn], axis in [-r, r], default 1.
// ONNX spec: https://onnx.ai/onnx/operators/onnx__Flatten.html (opsets 1, 9, 11, 13).
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
  set_output(node, 0, x->dtype, {dims_product(x->shape, 0, a), dims_product(x->shape, a, x->shape.size())});
  return fold_int_constants(node, copy_input0);
}
}  // namespace

const OpSchema& schema_flatten() {
  static const OpSchema s{Op::kFlatten, 1, 1, 1, 1, infer, copy_input0};
  return s;
}

}  // namespace inr
