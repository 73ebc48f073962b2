#include "ops/softmax_kernel.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace inr {

namespace {
constexpr int64_t kOpsetAlongAxis = 13;  // Softmax-13 normalises along one axis instead of coercing to 2-D
constexpr int64_t kDefaultAxisCoerced = 1;
constexpr int64_t kDefaultAxisAlong = -1;

struct SoftmaxLayout {
  int64_t outer, len, inner;  // x viewed as [outer, len, inner], normalised over len
};

Result<SoftmaxLayout> layout(const Node& node, const Shape& s) {
  bool along = node_opset(node) >= kOpsetAlongAxis;
  int64_t rank = static_cast<int64_t>(s.size());
  int64_t axis_attr = node.attr_int("axis", along ? kDefaultAxisAlong : kDefaultAxisCoerced);
  // Coerced form accepts axis == rank (an empty trailing block) per the opset 1/11 spec: axis in [-r, r].
  if (!along && axis_attr == rank) return SoftmaxLayout{shape_numel(s), 1, 1};
  INR_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(axis_attr, rank));
  size_t a = static_cast<size_t>(axis);
  if (along) return SoftmaxLayout{dims_product(s, 0, a), s.empty() ? 1 : s[a], dims_product(s, a + 1, s.size())};
  return SoftmaxLayout{dims_product(s, 0, a), dims_product(s, a, s.size()), 1};
}
}  // namespace

Status infer_softmax(Node& node) {
  const Value* x = node.inputs[0];
  INR_TRY(expect_dtype(x, {DType::kF32}, "input"));
  INR_TRY(layout(node, x->shape).status());
  set_output(node, 0, DType::kF32, x->shape);
  return Status::ok();
}

Status run_softmax(const Node& node, const Tensor& x, Tensor& y, bool log_output) {
  INR_ASSIGN_OR_RETURN(SoftmaxLayout l, layout(node, x.shape()));
  const float* xp = x.data<float>();
  float* yp = y.data<float>();
  for (int64_t o = 0; o < l.outer; ++o)
    for (int64_t i = 0; i < l.inner; ++i) {
      int64_t base = o * l.len * l.inner + i;
      auto at = [&](int64_t j) { return base + j * l.inner; };
      float mx = -INFINITY;
      for (int64_t j = 0; j < l.len; ++j) mx = std::max(mx, xp[at(j)]);
      double sum = 0;
      for (int64_t j = 0; j < l.len; ++j) sum += std::exp(static_cast<double>(xp[at(j)]) - mx);
      double log_sum = std::log(sum);
      for (int64_t j = 0; j < l.len; ++j) {
        double shifted = static_cast<double>(xp[at(j)]) - mx;
        yp[at(j)] = static_cast<float>(log_output ? shifted - log_sum : std::exp(shifted) / sum);
      }
    }
  return Status::ok();
}

}  // namespace inr
