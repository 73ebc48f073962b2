// Case tables for the element-wise math, comparison and logic ops added for transformers and ShuffleNet /
// ConvNeXt: Erf, Gelu, Sqrt, Reciprocal, Neg, Exp, Tanh, Pow, Mod, PRelu, Equal, Less, Greater, Not, Where.
// Independent check: the spec formula per element in double with numpy broadcasting by explicit index
// arithmetic (naive.h), or hand-computed outputs for the integer and bool cases.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "naive.h"
#include "op_case.h"

namespace inr::test {

namespace {
// f32 kernels vs a double formula: a few ulps of f32 rounding.
constexpr double kF32Rtol = 1e-6;
constexpr double kF32Atol = 1e-7;

CaseInput ranged(CaseInput c, double lo, double hi) {
  c.lo = lo;
  c.hi = hi;
  return c;
}

OpCase unary(std::string name, std::string op, Shape shape, std::function<double(double)> f, double lo, double hi,
             std::map<std::string, Attr> attrs = {}, int64_t opset = kDefaultOpset) {
  return OpCase{.name = std::move(name), .op_type = std::move(op), .opset = opset, .attrs = std::move(attrs),
                .inputs = {ranged(in("x", std::move(shape)), lo, hi)}, .rtol = kF32Rtol, .atol = kF32Atol,
                .oracle = [f](const std::vector<Tensor>& t) { return std::vector<Tensor>{naive_unary(t[0], f)}; }};
}

OpCase nary(std::string name, std::string op, std::vector<CaseInput> inputs, std::function<double(const std::vector<double>&)> f,
            DType out = DType::kUndefined, std::map<std::string, Attr> attrs = {}) {
  return OpCase{.name = std::move(name), .op_type = std::move(op), .attrs = std::move(attrs), .inputs = std::move(inputs),
                .rtol = kF32Rtol, .atol = kF32Atol,
                .oracle = [f, out](const std::vector<Tensor>& t) { return std::vector<Tensor>{naive_nary(t, f, out)}; }};
}

OpCase exact(std::string name, std::string op, std::vector<CaseInput> inputs, Tensor expected,
             std::map<std::string, Attr> attrs = {}) {
  return OpCase{.name = std::move(name), .op_type = std::move(op), .attrs = std::move(attrs), .inputs = std::move(inputs),
                .expected = {std::move(expected)}};
}
}  // namespace

std::vector<OpCase> erf_cases() {
  return {unary("erf_odd", "Erf", {3, 5, 7}, [](double x) { return std::erf(x); }, -3, 3)};
}

std::vector<OpCase> gelu_cases() {
  auto exact_gelu = [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); };
  auto tanh_gelu = [](double x) {
    return 0.5 * x * (1 + std::tanh(std::sqrt(2 / std::numbers::pi) * (x + 0.044715 * x * x * x)));
  };
  std::vector<OpCase> v = {unary("gelu_default_erf", "Gelu", {2, 7, 9}, exact_gelu, -5, 5, {}, 20),
                           unary("gelu_tanh_approximation", "Gelu", {4, 11}, tanh_gelu, -5, 5, {{"approximate", Attr::of_string("tanh")}}, 20)};
  // oneDNN's gelu_erf evaluates erf with a polynomial: absolute errors up to ~3e-7 where GELU(x) is tiny
  // (x << 0), i.e. ~1e-7 of |x|; the f32 bound above is relative to the (tiny) output there.
  v[0].atol = 1e-6;
  return v;
}

std::vector<OpCase> sqrt_cases() {
  return {unary("sqrt_positive", "Sqrt", {3, 5, 7}, [](double x) { return std::sqrt(x); }, 0, 9)};
}

std::vector<OpCase> reciprocal_cases() {
  return {unary("reciprocal_away_from_zero", "Reciprocal", {5, 9}, [](double x) { return 1 / x; }, 0.25, 8)};
}

std::vector<OpCase> neg_cases() {
  return {unary("neg_f32", "Neg", {3, 7}, [](double x) { return -x; }, -4, 4),
          exact("neg_i64", "Neg", {in_values("x", {4}, {3, -2, 0, 7}, DType::kI64)}, tensor(DType::kI64, {4}, {-3, 2, 0, -7}))};
}

std::vector<OpCase> exp_cases() {
  return {unary("exp_odd", "Exp", {3, 5, 7}, [](double x) { return std::exp(x); }, -10, 10)};
}

std::vector<OpCase> tanh_cases() {
  return {unary("tanh_odd", "Tanh", {3, 5, 7}, [](double x) { return std::tanh(x); }, -6, 6)};
}

std::vector<OpCase> pow_cases() {
  auto p = [](const std::vector<double>& v) { return std::pow(v[0], v[1]); };
  return {nary("pow_square_scalar_exponent", "Pow", {ranged(in("x", {2, 5, 7}), -3, 3), constant(in_values("y", {}, {2.0}))}, p),
          nary("pow_broadcast_positive_base", "Pow", {ranged(in("x", {3, 1, 5}), 0.1, 4), ranged(in("y", {4, 5}), -2, 2)}, p),
          nary("pow_f32_base_i64_exponent", "Pow", {ranged(in("x", {6}), -2, 2), constant(in_values("y", {6}, {0, 1, 2, 3, -1, 4}, DType::kI64))}, p),
          exact("pow_i64", "Pow", {in_values("x", {3}, {2, -3, 5}, DType::kI64), in_values("y", {3}, {10, 3, 0}, DType::kI64)},
                tensor(DType::kI64, {3}, {1024, -27, 1}))};
}

std::vector<OpCase> mod_cases() {
  // Integer mod takes the divisor's sign (Python's %); fmod=1 the dividend's (C's fmod).
  return {exact("mod_i64_divisor_sign", "Mod", {in_values("a", {6}, {7, -7, 7, -7, 0, 9}, DType::kI64), in_values("b", {6}, {3, 3, -3, -3, 5, 9}, DType::kI64)},
                tensor(DType::kI64, {6}, {1, 2, -2, -1, 0, 0})),
          exact("mod_i32_fmod_dividend_sign", "Mod", {in_values("a", {4}, {7, -7, 7, -7}, DType::kI32), in_values("b", {4}, {3, 3, -3, -3}, DType::kI32)},
                tensor(DType::kI32, {4}, {1, -1, 1, -1}), {{"fmod", Attr::of_int(1)}}),
          nary("mod_f32_fmod_broadcast", "Mod", {ranged(in("a", {3, 5}), -10, 10), ranged(constant(in("b", {5})), 0.5, 3)},
               [](const std::vector<double>& v) { return std::fmod(static_cast<float>(v[0]), static_cast<float>(v[1])); }, DType::kUndefined,
               {{"fmod", Attr::of_int(1)}})};
}

std::vector<OpCase> p_relu_cases() {
  auto f = [](const std::vector<double>& v) { return v[0] < 0 ? v[0] * v[1] : v[0]; };
  return {nary("p_relu_per_channel", "PRelu", {in("x", {2, 5, 3, 3}), constant(in("slope", {5, 1, 1}))}, f),
          nary("p_relu_scalar_slope", "PRelu", {in("x", {3, 7}), constant(in("slope", {1}))}, f)};
}

namespace {
std::vector<OpCase> comparison(const std::string& op, const std::string& prefix, std::function<bool(double, double)> f) {
  auto g = [f](const std::vector<double>& v) { return f(v[0], v[1]) ? 1.0 : 0.0; };
  // Small integer ranges make equal elements common.
  return {nary(prefix + "_f32_broadcast", op, {in_values("a", {2, 3}, {1, 2, 3, 4, 5, 6}), in_values("b", {3}, {2, 2, 6})}, g, DType::kBool),
          nary(prefix + "_i64_random_broadcast", op, {ranged(in("a", {3, 1, 5}, DType::kI64), -2, 2), ranged(in("b", {4, 5}, DType::kI64), -2, 2)}, g,
               DType::kBool)};
}
}  // namespace

std::vector<OpCase> equal_cases() {
  std::vector<OpCase> v = comparison("Equal", "equal", [](double a, double b) { return a == b; });
  v.push_back(exact("equal_bool", "Equal", {in_values("a", {4}, {0, 0, 1, 1}, DType::kBool), in_values("b", {4}, {0, 1, 0, 1}, DType::kBool)},
                    tensor(DType::kBool, {4}, {1, 0, 0, 1})));
  return v;
}
std::vector<OpCase> less_cases() { return comparison("Less", "less", [](double a, double b) { return a < b; }); }
std::vector<OpCase> greater_cases() { return comparison("Greater", "greater", [](double a, double b) { return a > b; }); }

std::vector<OpCase> logical_not_cases() {
  return {exact("not_bool", "Not", {in_values("x", {2, 3}, {0, 1, 1, 0, 0, 1}, DType::kBool)}, tensor(DType::kBool, {2, 3}, {1, 0, 0, 1, 1, 0}))};
}

std::vector<OpCase> where_cases() {
  auto f = [](const std::vector<double>& v) { return v[0] != 0 ? v[1] : v[2]; };
  return {nary("where_three_way_broadcast", "Where", {ranged(in("c", {3, 1, 5}, DType::kBool), 0, 1), in("x", {4, 5}), in("y", {1})}, f, DType::kF32),
          exact("where_i64", "Where",
                {in_values("c", {4}, {1, 0, 1, 0}, DType::kBool), in_values("x", {4}, {1, 2, 3, 4}, DType::kI64), in_values("y", {}, {-1}, DType::kI64)},
                tensor(DType::kI64, {4}, {1, -1, 3, -1}))};
}

TEST(MathErrors, ClearMessages) {
  auto msg = [](OpCase c) { return infer_case(c).message(); };
  OpCase mod{.name = "m", .op_type = "Mod", .inputs = {in("a", {3}), in("b", {3})}};
  EXPECT_NE(msg(mod).find("fmod must be 1 for float inputs"), std::string::npos) << msg(mod);
  OpCase prelu{.name = "p", .op_type = "PRelu", .inputs = {in("x", {3, 1}), in("slope", {3, 4})}};
  EXPECT_NE(msg(prelu).find("does not broadcast to X's shape"), std::string::npos) << msg(prelu);
  OpCase where{.name = "w", .op_type = "Where", .inputs = {in("c", {3}), in("x", {3}), in("y", {3})}};
  EXPECT_NE(msg(where).find("condition 'c' has dtype f32, expected bool"), std::string::npos) << msg(where);
  OpCase gelu{.name = "g", .op_type = "Gelu", .opset = 20, .attrs = {{"approximate", Attr::of_string("fast")}}, .inputs = {in("x", {3})}};
  EXPECT_NE(msg(gelu).find("approximate 'fast'"), std::string::npos) << msg(gelu);
}

}  // namespace inr::test
