// Case tables for LayerNormalization, InstanceNormalization, Resize and ConvTranspose. Independent checks:
// the normalisation formulas in double over explicitly indexed rows; Resize on hand-computed small
// grids; ConvTranspose as a gather over (input, kernel) pairs that land on each output position (the
// reference kernel scatters).
#include <gtest/gtest.h>

#include <cmath>
#include <optional>

#include "op_case.h"

namespace inr::test {

namespace {
constexpr double kNormRtol = 1e-5;
constexpr double kNormAtol = 1e-5;

// Y over rows of `len` elements; scale/bias indexed by the position within the row modulo their size.
Oracle layer_norm_oracle(int64_t axis_attr, double eps) {
  return [=](const std::vector<Tensor>& t) {
    const Shape& s = t[0].shape();
    auto r = static_cast<int64_t>(s.size());
    int64_t axis = axis_attr < 0 ? axis_attr + r : axis_attr;
    int64_t len = 1;
    for (int64_t d = axis; d < r; ++d) len *= s[d];
    int64_t rows = t[0].numel() / len;
    std::vector<double> y(static_cast<size_t>(t[0].numel()));
    for (int64_t i = 0; i < rows; ++i) {
      double m = 0, v = 0;
      for (int64_t j = 0; j < len; ++j) m += element(t[0], i * len + j) / static_cast<double>(len);
      for (int64_t j = 0; j < len; ++j) v += std::pow(element(t[0], i * len + j) - m, 2) / static_cast<double>(len);
      for (int64_t j = 0; j < len; ++j) {
        double sc = element(t[1], j % t[1].numel());
        double b = t.size() > 2 && t[2].defined() ? element(t[2], j % t[2].numel()) : 0.0;
        y[i * len + j] = (element(t[0], i * len + j) - m) / std::sqrt(v + eps) * sc + b;
      }
    }
    return std::vector<Tensor>{tensor(DType::kF32, s, y)};
  };
}
}  // namespace

std::vector<OpCase> layer_normalization_cases() {
  auto c = [](std::string name, Shape x, Shape scale, bool bias, std::optional<int64_t> axis, double eps) {
    OpCase k{.name = std::move(name), .op_type = "LayerNormalization", .opset = 17, .inputs = {in("x", x), constant(in("scale", scale))},
             .rtol = kNormRtol, .atol = kNormAtol, .oracle = layer_norm_oracle(axis.value_or(-1), eps)};
    k.inputs[0].lo = -3;
    k.inputs[0].hi = 5;
    if (bias) k.inputs.push_back(constant(in("b", scale)));
    if (axis) k.attrs["axis"] = Attr::of_int(*axis);
    if (eps != 1e-5) k.attrs["epsilon"] = Attr::of_float(static_cast<float>(eps));
    return k;
  };
  return {c("layer_norm_vit_tokens_last_axis", {2, 7, 48}, {48}, true, std::nullopt, 1e-5),
          c("layer_norm_no_bias_eps", {3, 5, 9}, {9}, false, std::nullopt, static_cast<float>(1e-6)),
          c("layer_norm_axis1_two_dims", {3, 4, 5}, {4, 5}, true, 1, 1e-5),
          c("layer_norm_odd_single_row", {1, 37}, {37}, true, -1, 1e-5)};
}

std::vector<OpCase> instance_normalization_cases() {
  OpCase k{.name = "instance_norm_odd", .op_type = "InstanceNormalization", .inputs = {in("x", {2, 3, 5, 7}), constant(in("scale", {3})), constant(in("b", {3}))},
           .rtol = kNormRtol, .atol = kNormAtol};
  k.oracle = [](const std::vector<Tensor>& t) {
    const Shape& s = t[0].shape();
    int64_t len = s[2] * s[3];
    std::vector<double> y(static_cast<size_t>(t[0].numel()));
    for (int64_t i = 0; i < s[0] * s[1]; ++i) {
      double m = 0, v = 0;
      for (int64_t j = 0; j < len; ++j) m += element(t[0], i * len + j) / static_cast<double>(len);
      for (int64_t j = 0; j < len; ++j) v += std::pow(element(t[0], i * len + j) - m, 2) / static_cast<double>(len);
      int64_t c = i % s[1];
      for (int64_t j = 0; j < len; ++j)
        y[i * len + j] = (element(t[0], i * len + j) - m) / std::sqrt(v + static_cast<double>(1e-5f)) * element(t[1], c) + element(t[2], c);
    }
    return std::vector<Tensor>{tensor(DType::kF32, s, y)};
  };
  return {k};
}

std::vector<OpCase> resize_cases() {
  auto floats = [](std::string name, std::vector<double> v) {
    auto n = static_cast<int64_t>(v.size());
    return constant(in_values(std::move(name), {n}, std::move(v)));
  };
  auto ints = [](std::string name, std::vector<double> v) {
    auto n = static_cast<int64_t>(v.size());
    return constant(in_values(std::move(name), {n}, std::move(v), DType::kI64));
  };
  CaseInput x = in_values("x", {1, 1, 2, 2}, {1, 2, 3, 4});
  std::map<std::string, Attr> linear{{"mode", Attr::of_string("linear")}};
  std::map<std::string, Attr> nearest_asym{{"mode", Attr::of_string("nearest")},
                                           {"coordinate_transformation_mode", Attr::of_string("asymmetric")},
                                           {"nearest_mode", Attr::of_string("floor")}};
  return {// half_pixel linear 2x: source coords -0.25, 0.25, 0.75, 1.25 -> weights clamp at the edges.
          OpCase{.name = "resize_linear_half_pixel_2x", .op_type = "Resize", .attrs = linear,
                 .inputs = {x, absent("roi"), floats("scales", {1, 1, 2, 2})}, .rtol = 1e-6, .atol = 1e-6,
                 .expected = {tensor(DType::kF32, {1, 1, 4, 4},
                                     {1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4})}},
          // nearest upsample by sizes (the FPN / U-Net idiom): each pixel repeated.
          OpCase{.name = "resize_nearest_sizes_asymmetric_floor", .op_type = "Resize", .attrs = nearest_asym,
                 .inputs = {x, absent("roi"), absent("scales"), ints("sizes", {1, 1, 3, 4})},
                 .expected = {tensor(DType::kF32, {1, 1, 3, 4}, {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4})}},
          // default nearest (half_pixel, round_prefer_floor) downsample 4 -> 2: source 0.5 -> 0, 2.5 -> 2.
          OpCase{.name = "resize_nearest_default_downsample", .op_type = "Resize",
                 .inputs = {in_values("x", {1, 4}, {10, 11, 12, 13}), absent("roi"), floats("scales", {1, 0.5})},
                 .expected = {tensor(DType::kF32, {1, 2}, {10, 12})}},
          // align_corners linear 3 -> 5 on a ramp stays a ramp.
          OpCase{.name = "resize_linear_align_corners", .op_type = "Resize",
                 .attrs = {{"mode", Attr::of_string("linear")}, {"coordinate_transformation_mode", Attr::of_string("align_corners")}},
                 .inputs = {in_values("x", {1, 3}, {0, 2, 4}), absent("roi"), absent("scales"), ints("sizes", {1, 5})}, .rtol = 1e-6,
                 .atol = 1e-6, .expected = {tensor(DType::kF32, {1, 5}, {0, 1, 2, 3, 4})}}};
}

std::vector<OpCase> conv_transpose_cases() {
  auto c = [](std::string name, Shape x, Shape w, std::map<std::string, Attr> attrs, bool bias) {
    OpCase k{.name = std::move(name), .op_type = "ConvTranspose", .attrs = attrs, .inputs = {in("x", x), constant(in("w", w))},
             .rtol = 1e-5, .atol = 1e-5};
    int64_t group = attrs.count("group") ? attrs.at("group").i : 1;
    if (bias) k.inputs.push_back(constant(in("b", {w[1] * group})));
    k.oracle = [attrs](const std::vector<Tensor>& t) {
      const Shape& xs = t[0].shape();
      const Shape& ws = t[1].shape();
      auto get = [&](const char* key, std::vector<int64_t> def) { return attrs.count(key) ? attrs.at(key).ints : def; };
      int64_t group = attrs.count("group") ? attrs.at("group").i : 1;
      std::vector<int64_t> st = get("strides", {1, 1}), dil = get("dilations", {1, 1}), pads = get("pads", {0, 0, 0, 0}),
                           op = get("output_padding", {0, 0});
      int64_t n = xs[0], c = xs[1], m = ws[1] * group, cg = c / group, mg = ws[1];
      int64_t oh = st[0] * (xs[2] - 1) + op[0] + (ws[2] - 1) * dil[0] + 1 - pads[0] - pads[2];
      int64_t ow = st[1] * (xs[3] - 1) + op[1] + (ws[3] - 1) * dil[1] + 1 - pads[1] - pads[3];
      std::vector<double> y;
      for (int64_t b = 0; b < n; ++b)
        for (int64_t mo = 0; mo < m; ++mo)
          for (int64_t oy = 0; oy < oh; ++oy)
            for (int64_t ox = 0; ox < ow; ++ox) {
              int64_t g = mo / mg;
              double acc = t.size() > 2 && t[2].defined() ? element(t[2], mo) : 0.0;
              for (int64_t ci = g * cg; ci < (g + 1) * cg; ++ci)
                for (int64_t ky = 0; ky < ws[2]; ++ky)
                  for (int64_t kx = 0; kx < ws[3]; ++kx) {
                    int64_t ty = oy + pads[0] - ky * dil[0], tx = ox + pads[1] - kx * dil[1];
                    if (ty < 0 || tx < 0 || ty % st[0] != 0 || tx % st[1] != 0) continue;
                    int64_t iy = ty / st[0], ix = tx / st[1];
                    if (iy >= xs[2] || ix >= xs[3]) continue;
                    acc += element(t[0], ((b * c + ci) * xs[2] + iy) * xs[3] + ix) *
                           element(t[1], ((ci * mg + mo % mg) * ws[2] + ky) * ws[3] + kx);
                  }
              y.push_back(acc);
            }
      return std::vector<Tensor>{tensor(DType::kF32, {n, m, oh, ow}, y)};
    };
    return k;
  };
  return {c("conv_transpose_stride2_upsample", {1, 3, 5, 4}, {3, 2, 2, 2}, {{"strides", Attr::of_ints({2, 2})}}, true),
          c("conv_transpose_pads_output_padding_dilation", {2, 2, 4, 5}, {2, 3, 3, 3},
            {{"strides", Attr::of_ints({2, 3})}, {"pads", Attr::of_ints({1, 0, 1, 2})}, {"output_padding", Attr::of_ints({1, 1})},
             {"dilations", Attr::of_ints({1, 2})}},
            false),
          c("conv_transpose_groups", {1, 4, 3, 3}, {4, 2, 3, 3}, {{"group", Attr::of_int(2)}, {"pads", Attr::of_ints({1, 1, 1, 1})}}, true)};
}

TEST(NormResizeErrors, ClearMessages) {
  auto msg = [](OpCase c) { return infer_case(c).message(); };
  OpCase ln{.name = "l", .op_type = "LayerNormalization", .opset = 17, .inputs = {in("x", {2, 8}), in("s", {4})}};
  EXPECT_NE(msg(ln).find("does not broadcast to the normalised dims [8]"), std::string::npos) << msg(ln);
  OpCase cubic{.name = "r", .op_type = "Resize", .attrs = {{"mode", Attr::of_string("cubic")}},
               .inputs = {in("x", {1, 4}), absent("roi"), constant(in_values("scales", {2}, {1, 2}))}};
  EXPECT_NE(msg(cubic).find("mode 'cubic' is not supported"), std::string::npos) << msg(cubic);
  OpCase both{.name = "r", .op_type = "Resize", .inputs = {in("x", {1, 4}), absent("roi"), constant(in_values("scales", {2}, {1, 2})),
                                                          constant(in_values("sizes", {2}, {1, 8}, DType::kI64))}};
  EXPECT_NE(msg(both).find("exactly one of scales and sizes"), std::string::npos) << msg(both);
  OpCase ct{.name = "c", .op_type = "ConvTranspose", .inputs = {in("x", {1, 3, 4, 4}), in("w", {2, 2, 3, 3})}};
  EXPECT_NE(msg(ct).find("does not fit 3 input channels"), std::string::npos) << msg(ct);
}

}  // namespace inr::test
