// Case tables for Gemm, MatMul, Softmax, LogSoftmax and ReduceMean. Independent checks: the spec formulas
// as plain loops in double, with their own index arithmetic (transposes, numpy batch broadcasting, 1-D
// promotion, the opset < 13 2-D coercion of Softmax).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "naive.h"
#include "op_case.h"

namespace inr::test {

namespace {
// Double accumulation in both: one f32 rounding of the result.
constexpr double kLinalgRtol = 1e-5;
constexpr double kLinalgAtol = 1e-6;

double at2(const Tensor& t, int64_t i, int64_t j, bool trans) {
  int64_t cols = t.shape()[1];
  return trans ? element(t, j * cols + i) : element(t, i * cols + j);
}

OpCase gemm(std::string name, Shape a, Shape b, bool ta, bool tb, double alpha, double beta, std::vector<CaseInput> c) {
  std::map<std::string, Attr> attrs;
  if (ta) attrs["transA"] = Attr::of_int(1);
  if (tb) attrs["transB"] = Attr::of_int(1);
  if (alpha != 1.0) attrs["alpha"] = Attr::of_float(static_cast<float>(alpha));
  if (beta != 1.0) attrs["beta"] = Attr::of_float(static_cast<float>(beta));
  OpCase k{.name = std::move(name), .op_type = "Gemm", .attrs = attrs, .inputs = {in("a", a), constant(in("b", b))},
           .rtol = kLinalgRtol, .atol = kLinalgAtol};
  for (CaseInput& ci : c) k.inputs.push_back(ci);
  double fa = static_cast<float>(alpha), fb = static_cast<float>(beta);
  k.oracle = [=](const std::vector<Tensor>& t) {
    int64_t m = ta ? a[1] : a[0], kk = ta ? a[0] : a[1], n = tb ? b[0] : b[1];
    std::vector<double> y;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0;
        for (int64_t p = 0; p < kk; ++p) acc += at2(t[0], i, p, ta) * at2(t[1], p, j, tb);
        double cv = 0;
        if (t.size() > 2 && t[2].defined()) {
          const Shape& cs = t[2].shape();
          int64_t ci = cs.size() == 2 && cs[0] != 1 ? i : 0;
          int64_t cj = !cs.empty() && cs.back() != 1 ? j : 0;
          cv = element(t[2], cs.size() == 2 ? ci * cs[1] + cj : cj);
        }
        y.push_back(fa * acc + fb * cv);
      }
    return std::vector<Tensor>{tensor(DType::kF32, {m, n}, y)};
  };
  return k;
}
}  // namespace

std::vector<OpCase> gemm_cases() {
  return {gemm("gemm_fc_transB_vector_bias", {3, 37}, {11, 37}, false, true, 1, 1, {constant(in("c", {11}))}),
          gemm("gemm_transA_alpha_beta_matrix_c", {7, 5}, {7, 9}, true, false, 0.5, 2.0, {in("c", {5, 9})}),
          gemm("gemm_no_c", {4, 6}, {6, 3}, false, false, 1, 1, {}),
          gemm("gemm_absent_c_both_trans", {6, 4}, {3, 6}, true, true, 1.5, 1, {absent("c")}),
          gemm("gemm_scalar_c", {2, 5}, {5, 3}, false, false, 1, 0.25, {constant(in("c", {}))}),
          gemm("gemm_column_c", {5, 4}, {4, 7}, false, false, 1, 1, {in("c", {5, 1})})};
}

namespace {
OpCase matmul(std::string name, Shape a, Shape b) {
  return OpCase{.name = std::move(name), .op_type = "MatMul", .inputs = {in("a", a), in("b", b)}, .rtol = kLinalgRtol, .atol = kLinalgAtol,
                .oracle = [](const std::vector<Tensor>& t) {
                  Shape as = t[0].shape(), bs = t[1].shape();
                  bool a1 = as.size() == 1, b1 = bs.size() == 1;
                  if (a1) as.insert(as.begin(), 1);
                  if (b1) bs.push_back(1);
                  int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
                  Shape ab(as.begin(), as.end() - 2), bb(bs.begin(), bs.end() - 2);
                  Shape batch = naive_broadcast_shape({ab, bb});
                  std::vector<double> y;
                  int64_t nb = shape_numel(batch);
                  for (int64_t bi = 0; bi < nb; ++bi) {
                    // Batch index of each operand: unravel over `batch`, pin size-1 dims.
                    auto offset = [&](const Shape& own) {
                      int64_t rem = bi, flat = 0, mul = 1;
                      for (size_t d = batch.size(); d-- > 0;) {
                        int64_t id = rem % batch[d];
                        rem /= batch[d];
                        size_t lead = batch.size() - own.size();
                        if (d >= lead) {
                          int64_t od = own[d - lead];
                          flat += (od == 1 ? 0 : id) * mul;
                          mul *= od;
                        }
                      }
                      return flat;
                    };
                    int64_t ao = offset(ab) * m * k, bo = offset(bb) * k * n;
                    for (int64_t i = 0; i < m; ++i)
                      for (int64_t j = 0; j < n; ++j) {
                        double acc = 0;
                        for (int64_t p = 0; p < k; ++p) acc += element(t[0], ao + i * k + p) * element(t[1], bo + p * n + j);
                        y.push_back(acc);
                      }
                  }
                  Shape out = batch;
                  if (!a1) out.push_back(m);
                  if (!b1) out.push_back(n);
                  return std::vector<Tensor>{tensor(DType::kF32, out, y)};
                }};
}
}  // namespace

std::vector<OpCase> mat_mul_cases() {
  // f32 accumulation over K = 301 (oneDNN; the reference sums in double): a random-walk error of about
  // sqrt(K) * 2^-24 * sum|a*b| ~ 1e-5 on these [-1, 1] inputs.
  OpCase long_k = matmul("matmul_long_k", {3, 301}, {301, 5});
  long_k.atol = 1e-5;
  // A transformer linear layer: N-D activations times constant 2-D weights.
  OpCase linear = matmul("matmul_3d_times_constant_2d", {2, 9, 12}, {12, 5});
  linear.inputs[1].constant = true;
  return {matmul("matmul_attention_scores_4d", {2, 3, 7, 16}, {2, 3, 16, 7}),
          matmul("matmul_3d_times_2d_linear", {2, 9, 12}, {12, 5}),
          matmul("matmul_2d", {5, 7}, {7, 3}),
          matmul("matmul_batched_broadcast", {2, 1, 5, 7}, {3, 7, 4}),
          matmul("matmul_1d_lhs", {7}, {2, 7, 5}),
          matmul("matmul_1d_rhs", {3, 5, 7}, {7}),
          matmul("matmul_1d_both", {9}, {9}),
          linear,
          long_k};
}

namespace {
// Softmax over the view [outer, len, inner] computed in double.
Oracle softmax_oracle(int64_t axis_attr, bool coerced, bool log) {
  return [=](const std::vector<Tensor>& t) {
    const Shape& s = t[0].shape();
    int64_t r = static_cast<int64_t>(s.size()), axis = axis_attr < 0 ? axis_attr + r : axis_attr;
    int64_t outer = 1, len = 1, inner = 1;
    for (int64_t d = 0; d < r; ++d) {
      if (d < axis) outer *= s[d];
      else if (d == axis || coerced) len *= s[d];
      else inner *= s[d];
    }
    std::vector<double> y(static_cast<size_t>(t[0].numel()));
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        double mx = -INFINITY, sum = 0;
        for (int64_t j = 0; j < len; ++j) mx = std::max(mx, element(t[0], (o * len + j) * inner + i));
        for (int64_t j = 0; j < len; ++j) sum += std::exp(element(t[0], (o * len + j) * inner + i) - mx);
        for (int64_t j = 0; j < len; ++j) {
          double x = element(t[0], (o * len + j) * inner + i) - mx;
          y[(o * len + j) * inner + i] = log ? x - std::log(sum) : std::exp(x) / sum;
        }
      }
    return std::vector<Tensor>{tensor(DType::kF32, s, y)};
  };
}

std::vector<OpCase> softmax_family(const std::string& op, const std::string& prefix, bool log) {
  auto c = [&](std::string name, Shape x, int64_t opset, std::optional<int64_t> axis, double lo, double hi) {
    std::map<std::string, Attr> attrs;
    if (axis) attrs["axis"] = Attr::of_int(*axis);
    int64_t def = opset >= 13 ? -1 : 1;
    CaseInput xi = in("x", x);
    xi.lo = lo;
    xi.hi = hi;
    return OpCase{.name = prefix + name, .op_type = op, .opset = opset, .attrs = attrs, .inputs = {xi}, .rtol = 1e-5, .atol = 1e-6,
                  .oracle = softmax_oracle(axis.value_or(def), opset < 13, log)};
  };
  return {c("_opset13_default_last_axis", {3, 5, 7}, 13, std::nullopt, -3, 3),
          c("_attention_4d_last_axis", {2, 3, 7, 9}, 13, std::nullopt, -3, 3),
          c("_opset13_axis1", {3, 5, 7}, 13, 1, -3, 3),
          c("_opset11_coerced_default_axis1", {3, 5, 7}, 11, std::nullopt, -3, 3),
          c("_opset11_coerced_axis0", {2, 3, 5}, 11, 0, -3, 3),
          c("_large_logits", {2, 1000}, 13, std::nullopt, -500, 500)};
}
}  // namespace

std::vector<OpCase> softmax_cases() { return softmax_family("Softmax", "softmax", false); }
std::vector<OpCase> log_softmax_cases() { return softmax_family("LogSoftmax", "log_softmax", true); }

std::vector<OpCase> reduce_mean_cases() {
  auto oracle = [](std::vector<int64_t> axes, bool keep) {
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
      std::vector<double> sum(static_cast<size_t>(shape_numel(out)), 0.0);
      int64_t count = t[0].numel() / std::max<int64_t>(1, shape_numel(out));
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
        sum[flat] += element(t[0], i);
      }
      for (double& v : sum) v /= static_cast<double>(count);
      return std::vector<Tensor>{tensor(DType::kF32, kept, sum)};
    };
  };
  auto c = [&](std::string name, int64_t opset, std::vector<int64_t> axes, bool keep, bool axes_input) {
    OpCase k{.name = std::move(name), .op_type = "ReduceMean", .opset = opset, .inputs = {in("x", {3, 5, 7, 2})},
             .rtol = 1e-6, .atol = 1e-7, .oracle = oracle(axes, keep)};
    if (!keep) k.attrs["keepdims"] = Attr::of_int(0);
    if (axes_input) {
      std::vector<double> av(axes.begin(), axes.end());
      k.inputs.push_back(constant(in_values("axes", {static_cast<int64_t>(axes.size())}, av, DType::kI64)));
    } else if (!axes.empty()) {
      k.attrs["axes"] = Attr::of_ints(axes);
    }
    return k;
  };
  return {c("reduce_mean_spatial_keepdims_opset13", 13, {2, 3}, true, false),
          c("reduce_mean_negative_axis_no_keepdims", 13, {-3}, false, false),
          c("reduce_mean_all_axes", 13, {}, true, false),
          c("reduce_mean_axes_input_opset18", 18, {1, 3}, false, true)};
}

TEST(LinalgErrors, ClearMessages) {
  auto msg = [](OpCase c) { return infer_case(c).message(); };
  OpCase inner{.name = "g", .op_type = "Gemm", .inputs = {in("a", {3, 4}), in("b", {5, 6})}};
  EXPECT_NE(msg(inner).find("inner dims differ"), std::string::npos) << msg(inner);
  OpCase c_bad{.name = "g", .op_type = "Gemm", .inputs = {in("a", {3, 4}), in("b", {4, 6}), in("c", {2, 6})}};
  EXPECT_NE(msg(c_bad).find("does not broadcast to [3,6]"), std::string::npos) << msg(c_bad);
  OpCase mm{.name = "m", .op_type = "MatMul", .inputs = {in("a", {2, 3, 4}), in("b", {3, 4, 5})}};
  EXPECT_NE(msg(mm).find("do not broadcast"), std::string::npos) << msg(mm);
  OpCase axis{.name = "s", .op_type = "Softmax", .attrs = {{"axis", Attr::of_int(3)}}, .inputs = {in("x", {2, 3, 4})}};
  EXPECT_NE(msg(axis).find("axis 3 out of range for rank 3"), std::string::npos) << msg(axis);
  OpCase rm{.name = "r", .op_type = "ReduceMean", .opset = 18, .inputs = {in("x", {2, 3}), in("axes", {1}, DType::kI64)}};
  EXPECT_NE(msg(rm).find("axes must be a constant"), std::string::npos) << msg(rm);
}

}  // namespace inr::test
