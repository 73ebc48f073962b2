#include "ops/reduce_util.h"

namespace inr {

Result<Reduction> reduction(const Node& node, const Shape& x, int64_t opset_axes_input) {
  INR_ASSIGN_OR_RETURN(std::vector<int64_t> axes, axes_from_input_or_attr(node, 1, opset_axes_input));
  int64_t rank = static_cast<int64_t>(x.size());
  bool keep = node.attr_int("keepdims", 1) != 0;
  Reduction r;
  r.reduced.assign(x.size(), axes.empty());
  if (axes.empty() && node.attr_int("noop_with_empty_axes", 0) != 0) {
    r.reduced.assign(x.size(), false);
    r.noop = true;
  }
  for (int64_t a : axes) {
    INR_ASSIGN_OR_RETURN(int64_t ax, existing_axis(a, rank));
    if (r.reduced[ax]) return error("axis {} is listed twice", a);
    r.reduced[ax] = true;
  }
  for (size_t d = 0; d < x.size(); ++d) {
    if (!r.reduced[d]) {
      r.out.push_back(x[d]);
    } else if (keep) {
      r.out.push_back(1);
    }
  }
  return r;
}

Status infer_reduce_float(Node& node, int64_t opset_axes_input) {
  const Value* x = node.inputs[0];
  INR_TRY(expect_dtype(x, {DType::kF32}, "input"));
  INR_ASSIGN_OR_RETURN(Reduction r, reduction(node, x->shape, opset_axes_input));
  set_output(node, 0, DType::kF32, r.out);
  return Status::ok();
}

}  // namespace inr
