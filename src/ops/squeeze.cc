// Squeeze: removes the listed size-1 dims (all size-1 dims when no axes are given).
// ONNX spec: https://onnx.ai/onnx/operators/onnx__Squeeze.html (opsets 1, 11, 13): axes is an attribute
// before 13 and an optional constant input from 13.
#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
constexpr int64_t kOpsetAxesInput = 13;

Status infer(Node& node) {
  const Value* x = node.inputs[0];
  INR_TRY(expect_byte_dtype(x, "data"));
  INR_ASSIGN_OR_RETURN(std::vector<int64_t> axes, axes_from_input_or_attr(node, 1, kOpsetAxesInput));
  int64_t rank = static_cast<int64_t>(x->shape.size());
  std::vector<bool> drop(x->shape.size(), false);
  if (axes.empty()) {
    for (size_t d = 0; d < x->shape.size(); ++d) drop[d] = x->shape[d] == 1;
  }
  for (int64_t a : axes) {
    INR_ASSIGN_OR_RETURN(int64_t ax, existing_axis(a, rank));
    if (x->shape[ax] != 1) return error("cannot squeeze axis {} of size {} (shape {})", a, x->shape[ax], shape_str(x->shape));
    if (drop[ax]) return error("axis {} is listed twice", a);
    drop[ax] = true;
  }
  Shape out;
  for (size_t d = 0; d < x->shape.size(); ++d)
    if (!drop[d]) out.push_back(x->shape[d]);
  set_output(node, 0, x->dtype, std::move(out));
  return fold_int_constants(node, copy_input0);
}
}  // namespace

const OpSchema& schema_squeeze() {
  static const OpSchema s{Op::kSqueeze, 1, 2, 1, 1, infer, copy_input0};
  return s;
}

}  // namespace inr
