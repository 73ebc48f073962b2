// Unsqueeze: inserts size-1 dims at `axes` (positions in the output, any order, negative from the end).
// ONNX spec: https://onnx.ai/onnx/operators/onnx__Unsqueeze.html (opsets 1, 11, 13): axes is an attribute
// before 13 and a required constant input from 13.
#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
constexpr int64_t kOpsetAxesInput = 13;

Status infer(Node& node) {
  const Value* x = node.inputs[0];
  INR_TRY(expect_byte_dtype(x, "data"));
  if (node_opset(node) >= kOpsetAxesInput && node.input(1) == nullptr) return error("input axes is required");
  INR_ASSIGN_OR_RETURN(std::vector<int64_t> axes, axes_from_input_or_attr(node, 1, kOpsetAxesInput));
  if (axes.empty()) return error("axes is empty");
  int64_t out_rank = static_cast<int64_t>(x->shape.size() + axes.size());
  std::vector<bool> inserted(static_cast<size_t>(out_rank), false);
  for (int64_t a : axes) {
    INR_ASSIGN_OR_RETURN(int64_t ax, normalize_axis(a, out_rank));
    if (inserted[ax]) return error("axis {} is listed twice", a);
    inserted[ax] = true;
  }
  Shape out;
  size_t next = 0;
  for (int64_t d = 0; d < out_rank; ++d) out.push_back(inserted[d] ? 1 : x->shape[next++]);
  set_output(node, 0, x->dtype, std::move(out));
  return fold_int_constants(node, copy_input0);
}
}  // namespace

const OpSchema& schema_unsqueeze() {
  static const OpSchema s{Op::kUnsqueeze, 1, 2, 1, 1, infer, copy_input0};
  return s;
}

}  // namespace inr
