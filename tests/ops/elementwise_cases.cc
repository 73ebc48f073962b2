// Case tables for the activations and the broadcasting arithmetic ops: Relu, Clip, LeakyRelu, Sigmoid,
// HardSigmoid, HardSwish, Add, Sub, Mul, Div, Sum. Independent check: the spec formula per element in
// double, with numpy broadcasting by explicit index arithmetic (naive.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "naive.h"
#include "op_case.h"

namespace inr::test {

namespace {
// f32 kernels vs a double formula: a few ulps of f32 rounding.
constexpr double kF32Rtol = 1e-6;
constexpr double kF32Atol = 1e-7;

OpCase unary(std::string name, std::string op, Shape shape, std::map<std::string, Attr> attrs,
             std::function<double(double)> f, double lo = -4.0, double hi = 4.0) {
  CaseInput x = in("x", std::move(shape));
  x.lo = lo;
  x.hi = hi;
  return OpCase{.name = std::move(name), .op_type = std::move(op), .attrs = std::move(attrs), .inputs = {x},
                .rtol = kF32Rtol, .atol = kF32Atol,
                .oracle = [f](const std::vector<Tensor>& t) { return std::vector<Tensor>{naive_unary(t[0], f)}; }};
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
}  // namespace

std::vector<OpCase> relu_cases() {
  return {unary("relu_odd_3d", "Relu", {3, 7, 9}, {}, [](double x) { return std::max(x, 0.0); })};
}

std::vector<OpCase> clip_cases() {
  std::vector<OpCase> v;
  auto clip = [](double lo, double hi) { return [=](double x) { return std::min(std::max(x, lo), hi); }; };
  // Opset 6: bounds are attributes.
  OpCase attrs = unary("clip_opset6_attrs", "Clip", {2, 5, 7}, {{"min", Attr::of_float(-0.5f)}, {"max", Attr::of_float(1.5f)}}, clip(-0.5, 1.5));
  attrs.opset = 6;
  v.push_back(attrs);
  // Opset 13: bounds as constant scalar inputs (Relu6 as exported by PyTorch).
  OpCase relu6 = unary("clip_relu6_inputs", "Clip", {1, 5, 7, 9}, {}, clip(0.0, 6.0), -8.0, 8.0);
  relu6.inputs.push_back(constant(in_values("min", {}, {0.0})));
  relu6.inputs.push_back(constant(in_values("max", {}, {6.0})));
  v.push_back(relu6);
  // Only max, min omitted.
  OpCase only_max = unary("clip_only_max", "Clip", {4, 9}, {}, clip(-1e300, 0.25));
  only_max.inputs.push_back(absent("min"));
  only_max.inputs.push_back(constant(in_values("max", {}, {0.25})));
  v.push_back(only_max);
  // Runtime (non-constant) bounds and an integer dtype.
  OpCase ints{.name = "clip_i32_runtime_bounds", .op_type = "Clip",
              .inputs = {in("x", {3, 11}, DType::kI32), in_values("min", {}, {-3}, DType::kI32), in_values("max", {}, {4}, DType::kI32)},
              .oracle = [](const std::vector<Tensor>& t) {
                return std::vector<Tensor>{naive_unary(t[0], [](double x) { return std::min(std::max(x, -3.0), 4.0); })};
              }};
  ints.inputs[0].lo = -10;
  ints.inputs[0].hi = 10;
  v.push_back(ints);
  return v;
}

std::vector<OpCase> leaky_relu_cases() {
  return {unary("leaky_relu_default_alpha", "LeakyRelu", {2, 3, 7}, {}, [](double x) { return x >= 0 ? x : 0.01 * x; }),
          unary("leaky_relu_alpha_0_2", "LeakyRelu", {5, 9}, {{"alpha", Attr::of_float(0.2f)}},
                [](double x) { return x >= 0 ? x : static_cast<double>(0.2f) * x; })};
}

std::vector<OpCase> sigmoid_cases() {
  // Large magnitudes check the overflow-free evaluation.
  return {unary("sigmoid_odd", "Sigmoid", {3, 5, 7}, {}, sigmoid),
          unary("sigmoid_large_magnitude", "Sigmoid", {41}, {}, sigmoid, -90.0, 90.0)};
}

std::vector<OpCase> hard_sigmoid_cases() {
  auto hs = [](double a, double b) { return [=](double x) { return std::max(0.0, std::min(1.0, a * x + b)); }; };
  return {unary("hard_sigmoid_default", "HardSigmoid", {3, 7, 5}, {}, hs(static_cast<double>(0.2f), 0.5)),
          unary("hard_sigmoid_alpha_beta", "HardSigmoid", {9, 5},
                {{"alpha", Attr::of_float(0.5f)}, {"beta", Attr::of_float(0.25f)}}, hs(0.5, 0.25))};
}

std::vector<OpCase> hard_swish_cases() {
  return {unary("hard_swish_odd", "HardSwish", {2, 5, 7, 3}, {},
                [](double x) { return x * std::max(0.0, std::min(1.0, x / 6.0 + 0.5)); }, -5.0, 5.0)};
}

namespace {
OpCase binary(std::string name, std::string op, CaseInput a, CaseInput b, std::function<double(double, double)> f,
              double rtol = kF32Rtol, double atol = kF32Atol) {
  return OpCase{.name = std::move(name), .op_type = std::move(op), .inputs = {std::move(a), std::move(b)},
                .rtol = rtol, .atol = atol,
                .oracle = [f](const std::vector<Tensor>& t) {
                  return std::vector<Tensor>{naive_nary({t[0], t[1]}, [f](const std::vector<double>& v) { return f(v[0], v[1]); })};
                }};
}

CaseInput ranged(CaseInput c, double lo, double hi) {
  c.lo = lo;
  c.hi = hi;
  return c;
}

// Shared broadcasting shapes for all four arithmetic ops.
std::vector<OpCase> arith_cases(const std::string& op, const std::string& prefix, std::function<double(double, double)> f,
                                double b_lo, double b_hi) {
  std::vector<OpCase> v;
  v.push_back(binary(prefix + "_same_shape", op, in("a", {3, 5, 7}), ranged(in("b", {3, 5, 7}), b_lo, b_hi), f));
  v.push_back(binary(prefix + "_bcast_channel", op, in("a", {2, 5, 7, 9}), ranged(constant(in("b", {5, 1, 1})), b_lo, b_hi), f));
  v.push_back(binary(prefix + "_bcast_both", op, in("a", {5, 1, 7}), ranged(in("b", {3, 1, 7, 1}), b_lo, b_hi), f));
  v.push_back(binary(prefix + "_scalar", op, in("a", {4, 9}), ranged(constant(in("b", {})), b_lo, b_hi), f));
  v.push_back(binary(prefix + "_scalar_first", op, in("a", {}), ranged(in("b", {7, 3}), b_lo, b_hi), f));
  return v;
}

std::vector<OpCase> with_int_case(std::vector<OpCase> v, const std::string& op, const std::string& prefix,
                                  std::function<double(double, double)> f, double b_lo) {
  // i64 shape arithmetic, e.g. the batch dim times a constant.
  v.push_back(binary(prefix + "_i64", op, ranged(in("a", {3, 4}, DType::kI64), -50, 50),
                     ranged(constant(in("b", {4}, DType::kI64)), b_lo, 9), f, 0, 0));
  return v;
}
}  // namespace

std::vector<OpCase> add_cases() {
  auto f = [](double a, double b) { return a + b; };
  return with_int_case(arith_cases("Add", "add", f, -1, 1), "Add", "add", f, -9);
}
std::vector<OpCase> sub_cases() {
  auto f = [](double a, double b) { return a - b; };
  return with_int_case(arith_cases("Sub", "sub", f, -1, 1), "Sub", "sub", f, -9);
}
std::vector<OpCase> mul_cases() {
  auto f = [](double a, double b) { return a * b; };
  return with_int_case(arith_cases("Mul", "mul", f, -1, 1), "Mul", "mul", f, -9);
}
std::vector<OpCase> div_cases() {
  // Divisors kept away from 0.
  auto f = [](double a, double b) { return a / b; };
  auto v = arith_cases("Div", "div", f, 0.5, 2.0);
  // Integer division truncates toward zero: -7 / 2 = -3.
  v.push_back(binary("div_i64_truncates", "Div", in_values("a", {4}, {-7, 7, -8, 9}, DType::kI64),
                     in_values("b", {4}, {2, -2, 3, 4}, DType::kI64), [](double a, double b) { return std::trunc(a / b); }, 0, 0));
  return v;
}

std::vector<OpCase> sum_cases() {
  auto oracle = [](const std::vector<Tensor>& t) {
    return std::vector<Tensor>{naive_nary(t, [](const std::vector<double>& v) {
      double s = 0;
      for (double x : v) s += x;
      return s;
    })};
  };
  return {OpCase{.name = "sum_one_input", .op_type = "Sum", .inputs = {in("a", {3, 7})}, .rtol = kF32Rtol, .atol = kF32Atol, .oracle = oracle},
          OpCase{.name = "sum_three_bcast", .op_type = "Sum",
                 .inputs = {in("a", {3, 1, 7}), in("b", {5, 1}), constant(in("c", {3, 5, 7}))},
                 .rtol = kF32Rtol, .atol = kF32Atol, .oracle = oracle}};
}

TEST(ElementwiseErrors, ClearMessages) {
  OpCase bad_bcast{.name = "bad", .op_type = "Add", .inputs = {in("a", {3, 5}), in("b", {4, 5})}};
  EXPECT_NE(infer_case(bad_bcast).message().find("do not broadcast"), std::string::npos) << infer_case(bad_bcast).message();
  OpCase bad_dtype{.name = "bad", .op_type = "Mul", .inputs = {in("a", {3}), in("b", {3}, DType::kI64)}};
  EXPECT_NE(infer_case(bad_dtype).message().find("dtype i64, expected A's f32"), std::string::npos) << infer_case(bad_dtype).message();
  OpCase bad_clip{.name = "bad", .op_type = "Clip", .inputs = {in("x", {3}), in("min", {2})}};
  EXPECT_NE(infer_case(bad_clip).message().find("expected a scalar"), std::string::npos) << infer_case(bad_clip).message();
  OpCase relu_int{.name = "bad", .op_type = "Relu", .inputs = {in("x", {3}, DType::kI64)}};
  EXPECT_FALSE(infer_case(relu_int).is_ok());
}

}  // namespace inr::test
