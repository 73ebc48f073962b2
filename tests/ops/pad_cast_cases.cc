// Case tables for Pad and Cast. Pad: hand-computed small cases for every mode plus a seeded case checked
// against a naive per-element index mapping. Cast: hand-picked values at the edges of each conversion
// (truncation toward zero, wrap-around, NaN, f16/bf16 rounding) with the expected bits worked out by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numeric>

#include "op_case.h"

namespace inr::test {

namespace {
CaseInput pads_in(std::vector<double> v) {
  int64_t n = static_cast<int64_t>(v.size());  // before v is moved from
  return constant(in_values("pads", {n}, std::move(v), DType::kI64));
}
}  // namespace

std::vector<OpCase> pad_cases() {
  std::vector<OpCase> v;
  // x = [[1, 2, 3], [4, 5, 6]], pads: dim0 (1, 0), dim1 (2, 1).
  CaseInput x = in_values("x", {2, 3}, {1, 2, 3, 4, 5, 6});
  v.push_back(OpCase{.name = "pad_constant_value", .op_type = "Pad", .inputs = {x, pads_in({1, 2, 0, 1}), constant(in_values("v", {}, {9}))},
                     .expected = {tensor(DType::kF32, {3, 6}, {9, 9, 9, 9, 9, 9,  //
                                                               9, 9, 1, 2, 3, 9,  //
                                                               9, 9, 4, 5, 6, 9})}});
  v.push_back(OpCase{.name = "pad_reflect", .op_type = "Pad", .attrs = {{"mode", Attr::of_string("reflect")}},
                     .inputs = {x, pads_in({1, 2, 0, 1})},
                     .expected = {tensor(DType::kF32, {3, 6}, {6, 5, 4, 5, 6, 5,  //
                                                               3, 2, 1, 2, 3, 2,  //
                                                               6, 5, 4, 5, 6, 5})}});
  v.push_back(OpCase{.name = "pad_edge", .op_type = "Pad", .attrs = {{"mode", Attr::of_string("edge")}}, .inputs = {x, pads_in({1, 2, 0, 1})},
                     .expected = {tensor(DType::kF32, {3, 6}, {1, 1, 1, 2, 3, 3,  //
                                                               1, 1, 1, 2, 3, 3,  //
                                                               4, 4, 4, 5, 6, 6})}});
  v.push_back(OpCase{.name = "pad_negative_crops", .op_type = "Pad", .inputs = {x, pads_in({0, -1, 0, 1})},
                     .expected = {tensor(DType::kF32, {2, 3}, {2, 3, 0, 5, 6, 0})}});
  v.push_back(OpCase{.name = "pad_opset2_attrs", .op_type = "Pad", .opset = 2,
                     .attrs = {{"pads", Attr::of_ints({0, 1, 0, 0})}, {"value", Attr::of_float(-1.f)}}, .inputs = {x},
                     .expected = {tensor(DType::kF32, {2, 4}, {-1, 1, 2, 3, -1, 4, 5, 6})}});
  v.push_back(OpCase{.name = "pad_axes_input_opset18", .op_type = "Pad", .opset = 18,
                     .inputs = {x, pads_in({1, 1}), absent("v"), constant(in_values("axes", {1}, {-1}, DType::kI64))},
                     .expected = {tensor(DType::kF32, {2, 5}, {0, 1, 2, 3, 0, 0, 4, 5, 6, 0})}});
  v.push_back(OpCase{.name = "pad_i64_constant", .op_type = "Pad",
                     .inputs = {in_values("x", {2}, {7, 8}, DType::kI64), pads_in({1, 2}), constant(in_values("v", {}, {-5}, DType::kI64))},
                     .expected = {tensor(DType::kI64, {5}, {-5, 7, 8, -5, -5})}});
  // A seeded 4-d reflect case (NCHW spatial padding as in ResNet-style exports), checked by index mapping.
  OpCase big{.name = "pad_reflect_nchw_odd", .op_type = "Pad", .attrs = {{"mode", Attr::of_string("reflect")}},
             .inputs = {in("x", {1, 3, 7, 9}), pads_in({0, 0, 2, 3, 0, 0, 1, 2})}};
  big.oracle = [](const std::vector<Tensor>& t) {
    Shape s = t[0].shape(), os{1, 3, 10, 14};
    std::vector<int64_t> b{0, 0, 2, 3};
    std::vector<double> y;
    for (int64_t c = 0; c < 3; ++c)
      for (int64_t h = 0; h < os[2]; ++h)
        for (int64_t w = 0; w < os[3]; ++w) {
          auto reflect = [](int64_t i, int64_t n) { return i < 0 ? -i : (i >= n ? 2 * (n - 1) - i : i); };
          int64_t ih = reflect(h - b[2], s[2]), iw = reflect(w - b[3], s[3]);
          y.push_back(element(t[0], (c * s[2] + ih) * s[3] + iw));
        }
    return std::vector<Tensor>{tensor(DType::kF32, os, y)};
  };
  v.push_back(big);
  return v;
}

namespace {
OpCase cast(std::string name, DType from, DType to, std::vector<double> values, std::vector<double> expected) {
  int64_t n = static_cast<int64_t>(values.size());  // before values is moved from
  return OpCase{.name = std::move(name), .op_type = "Cast", .attrs = {{"to", Attr::of_int(dtype_to_onnx(to))}},
                .inputs = {in_values("x", {n}, std::move(values), from)}, .expected = {tensor(to, {n}, expected)}};
}
}  // namespace

std::vector<OpCase> cast_cases() {
  constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
  // 1 + 2^-11 is the f16 tie between 1 and 1 + 2^-10: nearest even gives 1; 1 + 3 * 2^-11 rounds up to 1 + 2^-9.
  constexpr double kHalfTie = 1.0 + 1.0 / 2048, kHalfTieUp = 1.0 + 3.0 / 2048;
  // bf16 keeps 8 significant bits: 1 + 2^-8 is a tie (-> 1), 1 + 3 * 2^-8 rounds up to 1 + 2^-6.
  constexpr double kBf16Tie = 1.0 + 1.0 / 256, kBf16TieUp = 1.0 + 3.0 / 256;
  return {cast("cast_f32_to_i64_truncates", DType::kF32, DType::kI64, {2.7, -2.7, 0.5, -0.5, 1e10}, {2, -2, 0, 0, 1e10}),
          cast("cast_f32_to_i32_nan_is_zero", DType::kF32, DType::kI32, {kNan, 3.99, -3.99}, {0, 3, -3}),
          cast("cast_f32_to_u8_wraps", DType::kF32, DType::kU8, {255.9, 256, 300, -1}, {255, 0, 44, 255}),
          cast("cast_f32_to_i8_wraps", DType::kF32, DType::kI8, {127.5, 128, -129, -128.9}, {127, -128, 127, -128}),
          cast("cast_f32_to_bool", DType::kF32, DType::kBool, {0, -0.0, 0.1, kNan}, {0, 0, 1, 1}),
          cast("cast_bool_to_f32", DType::kBool, DType::kF32, {0, 1}, {0, 1}),
          cast("cast_i64_to_f32", DType::kI64, DType::kF32, {-3, 16777217}, {-3, 16777216}),
          cast("cast_i64_to_i32_wraps", DType::kI64, DType::kI32, {4294967297.0, -1}, {1, -1}),
          cast("cast_u8_to_i8_wraps", DType::kU8, DType::kI8, {200, 5}, {-56, 5}),
          cast("cast_f32_to_f16_rounds_to_even", DType::kF32, DType::kF16, {kHalfTie, kHalfTieUp, 65520, 1e-8},
               {1.0, 1.0 + 1.0 / 512, INFINITY, 0}),
          cast("cast_f16_to_f32", DType::kF16, DType::kF32, {0.5, -2.0, 65504}, {0.5, -2.0, 65504}),
          cast("cast_f32_to_bf16_rounds_to_even", DType::kF32, DType::kBF16, {kBf16Tie, kBf16TieUp, -3.0}, {1.0, 1.0 + 1.0 / 64, -3.0}),
          cast("cast_f32_to_f64", DType::kF32, DType::kF64, {0.1, -7.25}, {static_cast<double>(0.1f), -7.25}),
          cast("cast_f64_to_f32", DType::kF64, DType::kF32, {0.1, 1e300}, {static_cast<double>(0.1f), INFINITY})};
}

TEST(PadCastErrors, ClearMessages) {
  auto msg = [](OpCase c) { return infer_case(c).message(); };
  OpCase wrap{.name = "p", .op_type = "Pad", .attrs = {{"mode", Attr::of_string("wrap")}}, .inputs = {in("x", {2, 3}), pads_in({0, 1, 0, 1})}};
  EXPECT_NE(msg(wrap).find("mode 'wrap' is not supported"), std::string::npos) << msg(wrap);
  OpCase reflect{.name = "p", .op_type = "Pad", .attrs = {{"mode", Attr::of_string("reflect")}}, .inputs = {in("x", {2, 3}), pads_in({0, 3, 0, 0})}};
  EXPECT_NE(msg(reflect).find("reflect pads"), std::string::npos) << msg(reflect);
  OpCase count{.name = "p", .op_type = "Pad", .inputs = {in("x", {2, 3}), pads_in({0, 1})}};
  EXPECT_NE(msg(count).find("pads has 2 values, expected 2 x 2 axes"), std::string::npos) << msg(count);
  OpCase to_string{.name = "c", .op_type = "Cast", .attrs = {{"to", Attr::of_int(8)}}, .inputs = {in("x", {2})}};  // 8 = STRING
  EXPECT_NE(msg(to_string).find("unsupported target dtype"), std::string::npos) << msg(to_string);
}

}  // namespace inr::test
