// Case tables for ReduceMax, ReduceSum, ReduceSumSquare, ReduceL2, ArgMax and TopK. Independent check: a
// per-output loop in double over the unravelled input index (reductions), hand-computed outputs (ArgMax,
// TopK: ties, select_last_index, smallest).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "op_case.h"

namespace inr::test {

namespace {
// fold(acc, x) over each output's elements from init; finish(acc).
Oracle reduce_oracle(std::vector<int64_t> axes, bool keep, double init, std::function<double(double, double)> fold,
                     std::function<double(double)> finish) {
  return [=](const std::vector<Tensor>& t) {
    const Shape& s = t[0].shape();
    size_t r = s.size();
    std::vector<bool> red(r, axes.empty());
    for (int64_t a : axes) red[a < 0 ? a + static_cast<int64_t>(r) : a] = true;
    Shape out, kept;
    for (size_t d = 0; d < r; ++d) {
      if (!red[d]) out.push_back(s[d]);
      if (!red[d] || keep) kept.push_back(red[d] ? 1 : s[d]);
    }
    std::vector<double> acc(static_cast<size_t>(shape_numel(out)), init);
    for (int64_t i = 0; i < t[0].numel(); ++i) {
      int64_t rem = i, flat = 0, mul = 1;
      for (size_t d = r; d-- > 0;) {
        int64_t id = rem % s[d];
        rem /= s[d];
        if (!red[d]) {
          flat += id * mul;
          mul *= s[d];
        }
      }
      acc[flat] = fold(acc[flat], element(t[0], i));
    }
    for (double& v : acc) v = finish(v);
    return std::vector<Tensor>{tensor(DType::kF32, kept, acc)};
  };
}

std::vector<OpCase> reduce_family(const std::string& op, const std::string& prefix, int64_t opset_axes_input, double init,
                                  std::function<double(double, double)> fold, std::function<double(double)> finish) {
  auto c = [&](std::string name, int64_t opset, std::vector<int64_t> axes, bool keep, bool as_input) {
    OpCase k{.name = prefix + name, .op_type = op, .opset = opset, .inputs = {in("x", {3, 5, 7, 2})}, .rtol = 1e-6, .atol = 1e-6,
             .oracle = reduce_oracle(axes, keep, init, fold, finish)};
    if (!keep) k.attrs["keepdims"] = Attr::of_int(0);
    if (as_input) {
      std::vector<double> av(axes.begin(), axes.end());
      k.inputs.push_back(constant(in_values("axes", {static_cast<int64_t>(axes.size())}, av, DType::kI64)));
    } else if (!axes.empty()) {
      k.attrs["axes"] = Attr::of_ints(axes);
    }
    return k;
  };
  int64_t before = opset_axes_input == 13 ? 11 : 13;
  return {c("_last_axis_keepdims_axes_input", opset_axes_input, {-1}, true, true),
          c("_two_axes_no_keepdims_axes_input", opset_axes_input, {1, 3}, false, true),
          c("_all_axes", opset_axes_input, {}, true, false),
          c("_axes_attribute_old_opset", before, {0, 2}, true, false)};
}
}  // namespace

std::vector<OpCase> reduce_max_cases() {
  return reduce_family("ReduceMax", "reduce_max", 18, -INFINITY, [](double a, double x) { return std::max(a, x); },
                       [](double a) { return a; });
}
std::vector<OpCase> reduce_sum_cases() {
  std::vector<OpCase> v = reduce_family("ReduceSum", "reduce_sum", 13, 0, [](double a, double x) { return a + x; }, [](double a) { return a; });
  OpCase noop{.name = "reduce_sum_empty_axes_noop", .op_type = "ReduceSum", .attrs = {{"noop_with_empty_axes", Attr::of_int(1)}},
              .inputs = {in_values("x", {2, 2}, {1, 2, 3, 4}), constant(in_values("axes", {0}, {}, DType::kI64))},
              .expected = {tensor(DType::kF32, {2, 2}, {1, 2, 3, 4})}};
  v.push_back(noop);
  return v;
}
std::vector<OpCase> reduce_sum_square_cases() {
  return reduce_family("ReduceSumSquare", "reduce_sum_square", 18, 0, [](double a, double x) { return a + x * x; },
                       [](double a) { return a; });
}
std::vector<OpCase> reduce_l2_cases() {
  return reduce_family("ReduceL2", "reduce_l2", 18, 0, [](double a, double x) { return a + x * x; }, [](double a) { return std::sqrt(a); });
}

std::vector<OpCase> arg_max_cases() {
  // x [2, 3] = [[1, 5, 5], [7, 2, 7]]: ties at columns 1/2 and 0/2.
  CaseInput x = in_values("x", {2, 3}, {1, 5, 5, 7, 2, 7});
  return {OpCase{.name = "arg_max_axis1_first_tie", .op_type = "ArgMax", .attrs = {{"axis", Attr::of_int(1)}}, .inputs = {x},
                 .expected = {tensor(DType::kI64, {2, 1}, {1, 0})}},
          OpCase{.name = "arg_max_select_last_no_keepdims", .op_type = "ArgMax",
                 .attrs = {{"axis", Attr::of_int(-1)}, {"keepdims", Attr::of_int(0)}, {"select_last_index", Attr::of_int(1)}},
                 .inputs = {x}, .expected = {tensor(DType::kI64, {2}, {2, 2})}},
          OpCase{.name = "arg_max_default_axis0", .op_type = "ArgMax", .inputs = {x}, .expected = {tensor(DType::kI64, {1, 3}, {1, 0, 1})}}};
}

std::vector<OpCase> top_k_cases() {
  CaseInput x = in_values("x", {2, 4}, {3, 9, 1, 9, -2, 0, 5, 4});
  auto k = [](double v) { return constant(in_values("k", {1}, {v}, DType::kI64)); };
  return {OpCase{.name = "top_k_largest_ties_lower_index_first", .op_type = "TopK", .inputs = {x, k(3)}, .outputs = 2,
                 .expected = {tensor(DType::kF32, {2, 3}, {9, 9, 3, 5, 4, 0}), tensor(DType::kI64, {2, 3}, {1, 3, 0, 2, 3, 1})}},
          OpCase{.name = "top_k_smallest_axis0", .op_type = "TopK", .attrs = {{"axis", Attr::of_int(0)}, {"largest", Attr::of_int(0)}},
                 .inputs = {x, k(1)}, .outputs = 2,
                 .expected = {tensor(DType::kF32, {1, 4}, {-2, 0, 1, 4}), tensor(DType::kI64, {1, 4}, {1, 1, 0, 1})}},
          OpCase{.name = "top_k_opset1_attribute", .op_type = "TopK", .opset = 1, .attrs = {{"k", Attr::of_int(2)}}, .inputs = {x},
                 .outputs = 2, .expected = {tensor(DType::kF32, {2, 2}, {9, 9, 5, 4}), tensor(DType::kI64, {2, 2}, {1, 3, 2, 3})}}};
}

TEST(ReduceErrors, ClearMessages) {
  auto msg = [](OpCase c) { return infer_case(c).message(); };
  OpCase twice{.name = "r", .op_type = "ReduceSum", .inputs = {in("x", {2, 3}), constant(in_values("axes", {2}, {1, -1}, DType::kI64))}};
  EXPECT_NE(msg(twice).find("listed twice"), std::string::npos) << msg(twice);
  OpCase attr18{.name = "r", .op_type = "ReduceMax", .opset = 18, .attrs = {{"axes", Attr::of_ints({0})}}, .inputs = {in("x", {2, 3})}};
  EXPECT_NE(msg(attr18).find("not an attribute"), std::string::npos) << msg(attr18);
  OpCase bigk{.name = "t", .op_type = "TopK", .inputs = {in("x", {2, 3}), constant(in_values("k", {1}, {4}, DType::kI64))}, .outputs = 2};
  EXPECT_NE(msg(bigk).find("K = 4 is outside [0, 3]"), std::string::npos) << msg(bigk);
  // A scalar has no axis 0 (indexing its empty shape by it crashed; found by fuzz_onnx).
  OpCase scalar{.name = "r", .op_type = "ReduceMax", .opset = 17, .attrs = {{"axes", Attr::of_ints({0})}}, .inputs = {in("x", {})}};
  EXPECT_NE(msg(scalar).find("axis 0 given for a scalar input"), std::string::npos) << msg(scalar);
  OpCase scalar_sum{.name = "r", .op_type = "ReduceSum", .inputs = {in("x", {}), constant(in_values("axes", {1}, {0}, DType::kI64))}};
  EXPECT_NE(msg(scalar_sum).find("axis 0 given for a scalar input"), std::string::npos) << msg(scalar_sum);
}

}  // namespace inr::test
