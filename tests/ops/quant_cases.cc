// Case tables for the quantized ops. Independent checks: hand-computed outputs for the rounding and
// saturation edges (each value worked out in the comment next to it), and for random cases naive oracles
// written here from the ONNX / ONNX Runtime formulas: direct loops with int64 accumulation, std::nearbyint
// for round-half-to-even and saturation after rounding (the kernels clamp in float first and round with the
// float32 magic-number addition, so the two paths share no arithmetic code).
// Integer outputs are compared exactly; float outputs of DequantizeLinear / QGemm are float32 products of
// exactly representable operands, checked to 1e-6 relative.
#include <gtest/gtest.h>

#include <cmath>

#include "op_case.h"

namespace inr::test {

namespace {
constexpr double kFloatRtol = 1e-6;
constexpr const char* kMs = "com.microsoft";

CaseInput cq(std::string name, Shape shape, std::vector<double> v, DType t = DType::kF32) {
  return constant(in_values(std::move(name), std::move(shape), std::move(v), t));
}
CaseInput rnd(std::string name, Shape shape, DType t) {
  CaseInput c = in(std::move(name), std::move(shape), t);
  c.lo = t == DType::kU8 ? 0 : -128;
  c.hi = t == DType::kU8 ? 255 : 127;
  return c;
}
CaseInput rnd_const(std::string name, Shape shape, DType t) { return constant(rnd(std::move(name), std::move(shape), t)); }

int64_t lo_of(DType t) { return t == DType::kU8 ? 0 : -128; }
int64_t hi_of(DType t) { return t == DType::kU8 ? 255 : 127; }
// saturate(round_half_even(v) + zp), rounding first (std::nearbyint), then clamping in int64.
double requant(float v, int64_t zp, DType t) {
  int64_t q = static_cast<int64_t>(std::nearbyint(v)) + zp;
  return static_cast<double>(std::clamp(q, lo_of(t), hi_of(t)));
}
double at(const Tensor& t, int64_t i) { return element(t, i); }
double scalar(const Tensor& t) { return t.defined() ? element(t, 0) : 0.0; }
double per(const Tensor& t, int64_t i) { return t.numel() == 1 ? element(t, 0) : element(t, i); }

OpCase exact_case(std::string name, std::string op, std::vector<CaseInput> inputs, std::vector<Tensor> expected,
                  std::map<std::string, Attr> attrs = {}, std::string domain = "", int64_t opset = kDefaultOpset) {
  OpCase c{.name = std::move(name), .op_type = std::move(op), .domain = std::move(domain), .opset = opset,
           .attrs = std::move(attrs)};
  c.inputs = std::move(inputs);
  c.expected = std::move(expected);
  c.outputs = static_cast<int>(c.expected.size());
  return c;
}
}  // namespace

std::vector<OpCase> quantize_linear_cases() {
  return {
      // x / 1 rounded half to even: 0.5->0, 1.5->2, 2.5->2, -0.5->-0->0, -1.5->-2->0 (saturated),
      // 254.5->254, 255.5->256->255, 300->255, -3->0, 2.4999->2.
      exact_case("quantize_linear_u8_half_even_and_saturation", "QuantizeLinear",
                 {in_values("x", {10}, {0.5, 1.5, 2.5, -0.5, -1.5, 254.5, 255.5, 300, -3, 2.4999}), cq("s", {}, {1.0}),
                  cq("zp", {}, {0}, DType::kU8)},
                 {tensor(DType::kU8, {10}, {0, 2, 2, 0, 0, 254, 255, 255, 0, 2})}),
      // scale 0.5, zp -3: x/s = 0.5, 1.5, -129, 126, 200, -200 -> 0, 2, -129, 126, 200, -200, then + zp and
      // saturate to [-128, 127]: -3, -1, -128, 123, 127, -128.
      exact_case("quantize_linear_s8_zero_point_saturation", "QuantizeLinear",
                 {in_values("x", {6}, {0.25, 0.75, -64.5, 63.0, 100, -100}), cq("s", {}, {0.5}),
                  cq("zp", {}, {-3}, DType::kI8)},
                 {tensor(DType::kI8, {6}, {-3, -1, -128, 123, 127, -128})}),
      // Per-axis (axis 1), scales 1, 2, 4 and zero points 0, 10, 128:
      // row 0: 1/1=1, 2/2=1 (+10=11), 4/4=1 (+128=129); row 1: -1 -> 0 (saturated), 5/2=2.5 -> 2 (+10=12),
      // -600/4=-150 (+128=-22 -> 0).
      exact_case("quantize_linear_per_axis_u8", "QuantizeLinear",
                 {in_values("x", {2, 3}, {1, 2, 4, -1, 5, -600}), cq("s", {3}, {1, 2, 4}),
                  cq("zp", {3}, {0, 10, 128}, DType::kU8)},
                 {tensor(DType::kU8, {2, 3}, {1, 11, 129, 0, 12, 0})}, {{"axis", Attr::of_int(1)}}),
      // No zero point: u8 output with zp 0. 3/2 = 1.5 -> 2, 5/2 = 2.5 -> 2, 7/2 = 3.5 -> 4.
      exact_case("quantize_linear_default_u8_no_zero_point", "QuantizeLinear",
                 {in_values("x", {3}, {3, 5, 7}), cq("s", {}, {2.0})}, {tensor(DType::kU8, {3}, {2, 2, 4})}),
      // A float32 division, not a multiplication by the reciprocal: 1.55f / 0.1f = 15.499999 -> 15, while
      // 1.55f * (1 / 0.1f) = 15.5 -> 16; 0.35f / 0.1f = 3.5 exactly -> 4 (half to even).
      exact_case("quantize_linear_divides", "QuantizeLinear",
                 {in_values("x", {2}, {1.55, 0.35}), cq("s", {}, {0.1}), cq("zp", {}, {0}, DType::kI8)},
                 {tensor(DType::kI8, {2}, {15, 4})}),
      // Opset 21, 4-bit outputs packed two per byte (7 values: a pad nibble). s4 [-8, 7]: 0.5 -> 0, 1.5 -> 2,
      // -7.5 -> -8 (half to even), -9 -> -8 and 100 -> 7 (saturated), -0.5 -> 0, 3.49 -> 3.
      exact_case("quantize_linear_s4_half_even_and_saturation", "QuantizeLinear",
                 {in_values("x", {7}, {0.5, 1.5, -7.5, -9, 100, -0.5, 3.49}), cq("s", {}, {1.0}),
                  cq("zp", {}, {0}, DType::kI4)},
                 {tensor(DType::kI4, {7}, {0, 2, -8, -8, 7, 0, 3})}, {}, "", 21),
      // u4 [0, 15] per axis 1, scales 1, 2, 0.5 and zero points 0, 8, 15: row 0: 3 -> 3, -4/2 = -2 (+8 = 6),
      // 1/0.5 = 2 (+15 = 17 -> 15); row 1: 20 -> 15 (saturated), 5/2 = 2.5 -> 2 (+8 = 10), -8/0.5 = -16
      // (+15 = -1 -> 0).
      exact_case("quantize_linear_u4_per_axis", "QuantizeLinear",
                 {in_values("x", {2, 3}, {3, -4, 1, 20, 5, -8}), cq("s", {3}, {1, 2, 0.5}),
                  cq("zp", {3}, {0, 8, 15}, DType::kU4)},
                 {tensor(DType::kU4, {2, 3}, {3, 6, 15, 15, 10, 0})}, {{"axis", Attr::of_int(1)}}, "", 21),
      // No zero point: output_dtype (22 = INT4) picks the type. 2.5 -> 2, -3.5 -> -4, 8 -> 7.
      exact_case("quantize_linear_s4_output_dtype", "QuantizeLinear",
                 {in_values("x", {3}, {2.5, -3.5, 8}), cq("s", {}, {1.0})}, {tensor(DType::kI4, {3}, {2, -4, 7})},
                 {{"output_dtype", Attr::of_int(22)}}, "", 21),
      // Blocked (block_size 2 along axis 1; scale [2, 2]): row 0 scales 1, 2: 1, 2, 3/2 = 1.5 -> 2, 4/2 = 2;
      // row 1 scales 0.5, 4: -2, -4, -3/4 = -0.75 -> -1, -1.
      exact_case("quantize_linear_s4_blocked", "QuantizeLinear",
                 {in_values("x", {2, 4}, {1, 2, 3, 4, -1, -2, -3, -4}), cq("s", {2, 2}, {1, 2, 0.5, 4}),
                  cq("zp", {2, 2}, {0, 0, 0, 0}, DType::kI4)},
                 {tensor(DType::kI4, {2, 4}, {1, 2, 2, 2, -2, -4, -1, -1})},
                 {{"axis", Attr::of_int(1)}, {"block_size", Attr::of_int(2)}}, "", 21),
  };
}

std::vector<OpCase> dequantize_linear_cases() {
  OpCase u8 = exact_case("dequantize_linear_u8_zero_point", "DequantizeLinear",
                         {in_values("x", {4}, {0, 128, 255, 3}, DType::kU8), cq("s", {}, {0.5}),
                          cq("zp", {}, {128}, DType::kU8)},
                         {tensor(DType::kF32, {4}, {-64, 0, 63.5, -62.5})});
  // Per-axis (axis 0) s8: row scales 0.25 and 2, zero points -1 and 3.
  OpCase axis = exact_case("dequantize_linear_per_axis_s8", "DequantizeLinear",
                           {in_values("x", {2, 3}, {-128, -1, 127, -128, 3, 127}, DType::kI8), cq("s", {2}, {0.25, 2}),
                            cq("zp", {2}, {-1, 3}, DType::kI8)},
                           {tensor(DType::kF32, {2, 3}, {-31.75, 0, 32, -262, 0, 248})}, {{"axis", Attr::of_int(0)}});
  // i32 input (bias tensors), no zero point.
  OpCase i32 = exact_case("dequantize_linear_i32", "DequantizeLinear",
                          {in_values("x", {3}, {-1000, 0, 123456}, DType::kI32), cq("s", {}, {0.125})},
                          {tensor(DType::kF32, {3}, {-125, 0, 15432})});
  // f16 scale -> f16 output (opset 19).
  OpCase f16 = exact_case("dequantize_linear_f16_scale", "DequantizeLinear",
                          {in_values("x", {3}, {0, 10, 255}, DType::kU8), cq("s", {}, {0.5}, DType::kF16),
                           cq("zp", {}, {10}, DType::kU8)},
                          {tensor(DType::kF16, {3}, {-5, 0, 122.5})}, {}, "", 19);
  // Opset 21, 4-bit inputs. s4 per axis 0, row scales 0.25 and 2, zero points -1 and 3:
  // row 0: (-8 + 1) * 0.25 = -1.75, 0, 8 * 0.25 = 2; row 1: (0 - 3) * 2 = -6, 0, (-5 - 3) * 2 = -16.
  OpCase s4 = exact_case("dequantize_linear_s4_per_axis", "DequantizeLinear",
                         {in_values("x", {2, 3}, {-8, -1, 7, 0, 3, -5}, DType::kI4), cq("s", {2}, {0.25, 2}),
                          cq("zp", {2}, {-1, 3}, DType::kI4)},
                         {tensor(DType::kF32, {2, 3}, {-1.75, 0, 2, -6, 0, -16})}, {{"axis", Attr::of_int(0)}}, "", 21);
  // u4, 5 values (a pad nibble), zero point 8, scale 0.5: (0, 15, 8, 1, 9) - 8 = -8, 7, 0, -7, 1.
  OpCase u4 = exact_case("dequantize_linear_u4_odd_count", "DequantizeLinear",
                         {in_values("x", {5}, {0, 15, 8, 1, 9}, DType::kU4), cq("s", {}, {0.5}),
                          cq("zp", {}, {8}, DType::kU4)},
                         {tensor(DType::kF32, {5}, {-4, 3.5, 0, -3.5, 0.5})}, {}, "", 21);
  // Blocked s4 (block_size 2 along axis 1, scale [2, 2], no zero point): row 0 scales 1, 2; row 1 0.5, 4.
  OpCase s4_blocked = exact_case("dequantize_linear_s4_blocked", "DequantizeLinear",
                                 {in_values("x", {2, 4}, {1, 2, 2, 2, -2, -4, -1, -1}, DType::kI4),
                                  cq("s", {2, 2}, {1, 2, 0.5, 4})},
                                 {tensor(DType::kF32, {2, 4}, {1, 2, 4, 4, -1, -2, -4, -4})},
                                 {{"axis", Attr::of_int(1)}, {"block_size", Attr::of_int(2)}}, "", 21);
  std::vector<OpCase> v = {u8, axis, i32, f16, s4, u4, s4_blocked};
  for (OpCase& c : v) c.rtol = kFloatRtol;
  return v;
}

std::vector<OpCase> dynamic_quantize_linear_cases() {
  // min 0 (x >= 0), max 2.55: scale 2.55f / 255 = 0.00999999978, zp 0; x / scale = 0, 50, 100, 255 and
  // 1.275f / scale = 127.5 exactly -> 128 (half to even).
  OpCase pos = exact_case("dynamic_quantize_linear_nonnegative", "DynamicQuantizeLinear",
                          {in_values("x", {5}, {0, 0.5, 1, 2.55, 1.275})},
                          {tensor(DType::kU8, {5}, {0, 50, 100, 255, 128}), tensor(DType::kF32, {}, {0.01}),
                           tensor(DType::kU8, {}, {0})});
  // min -1.02, max 0 (x <= 0): scale 0.00399999972, zp = 0 - (-1.02 / scale) = 255.000015 -> clamped 255;
  // x = -1.02 -> -255 + 255 = 0, 0 -> 255, -0.51 / scale = -127.500008 -> -128 + 255 = 127.
  OpCase neg = exact_case("dynamic_quantize_linear_nonpositive", "DynamicQuantizeLinear",
                          {in_values("x", {3}, {-1.02, 0, -0.51})},
                          {tensor(DType::kU8, {3}, {0, 255, 127}), tensor(DType::kF32, {}, {0.004}),
                           tensor(DType::kU8, {}, {255})});
  pos.rtol = neg.rtol = kFloatRtol;
  return {pos, neg};
}

namespace {
// Direct 2-d quantized convolution (NCHW, group, strides, pads, dilations), int64 accumulation.
struct QConvSpec {
  std::string name;
  Shape x, w;
  DType xt = DType::kU8, wt = DType::kI8, yt = DType::kU8;
  std::vector<int64_t> strides = {1, 1}, pads = {0, 0, 0, 0}, dilations = {1, 1};
  int64_t group = 1;
  bool per_channel = true, bias = true;
};

std::vector<int64_t> conv_acc(const QConvSpec& s, const Tensor& x, int64_t x_zp, const Tensor& w, const Tensor& w_zp,
                              const Tensor* b, Shape* out_shape) {
  int64_t n = s.x[0], c = s.x[1], h = s.x[2], wd = s.x[3], m = s.w[0], kh = s.w[2], kw = s.w[3];
  int64_t oh = (h + s.pads[0] + s.pads[2] - ((kh - 1) * s.dilations[0] + 1)) / s.strides[0] + 1;
  int64_t ow = (wd + s.pads[1] + s.pads[3] - ((kw - 1) * s.dilations[1] + 1)) / s.strides[1] + 1;
  *out_shape = {n, m, oh, ow};
  int64_t cg = c / s.group, mg = m / s.group;
  std::vector<int64_t> acc(static_cast<size_t>(n * m * oh * ow));
  for (int64_t in = 0; in < n; ++in)
    for (int64_t im = 0; im < m; ++im)
      for (int64_t y = 0; y < oh; ++y)
        for (int64_t xo = 0; xo < ow; ++xo) {
          int64_t sum = b ? static_cast<int64_t>(at(*b, im)) : 0;
          int64_t g = im / mg;
          for (int64_t ic = 0; ic < cg; ++ic)
            for (int64_t ky = 0; ky < kh; ++ky)
              for (int64_t kx = 0; kx < kw; ++kx) {
                int64_t iy = y * s.strides[0] - s.pads[0] + ky * s.dilations[0];
                int64_t ix = xo * s.strides[1] - s.pads[1] + kx * s.dilations[1];
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                int64_t xv = static_cast<int64_t>(at(x, ((in * c + g * cg + ic) * h + iy) * wd + ix)) - x_zp;
                int64_t wv = static_cast<int64_t>(at(w, ((im * cg + ic) * kh + ky) * kw + kx)) -
                             static_cast<int64_t>(per(w_zp, im));
                sum += xv * wv;
              }
          acc[static_cast<size_t>(((in * m + im) * oh + y) * ow + xo)] = sum;
        }
  return acc;
}

std::map<std::string, Attr> conv_attrs(const QConvSpec& s) {
  return {{"strides", Attr::of_ints(s.strides)}, {"pads", Attr::of_ints(s.pads)},
          {"dilations", Attr::of_ints(s.dilations)}, {"group", Attr::of_int(s.group)}};
}

OpCase q_linear_conv_case(const QConvSpec& s) {
  int64_t m = s.w[0];
  std::vector<double> ws, wz;
  for (int64_t i = 0; i < m; ++i) {
    ws.push_back(s.per_channel ? 0.002 + 0.0005 * static_cast<double>(i) : 0.003);
    wz.push_back(s.per_channel && s.wt == DType::kU8 ? 120 + static_cast<double>(i % 5) : (s.wt == DType::kU8 ? 128 : 0));
  }
  if (!s.per_channel) {
    ws.resize(1);
    wz.resize(1);
  }
  Shape qs = s.per_channel ? Shape{m} : Shape{};
  OpCase c{.name = s.name, .op_type = "QLinearConv", .attrs = conv_attrs(s)};
  c.inputs = {rnd("x", s.x, s.xt), cq("x_scale", {}, {0.02}), cq("x_zp", {}, {s.xt == DType::kU8 ? 131.0 : -3.0}, s.xt),
              rnd_const("w", s.w, s.wt), cq("w_scale", qs, ws), cq("w_zp", qs, wz, s.wt), cq("y_scale", {}, {0.05}),
              cq("y_zp", {}, {s.yt == DType::kU8 ? 117.0 : 5.0}, s.yt)};
  if (s.bias) {
    CaseInput b = in("b", {m}, DType::kI32);
    b.lo = -5000;
    b.hi = 5000;
    c.inputs.push_back(constant(b));
  }
  c.oracle = [s](const std::vector<Tensor>& t) {
    Shape shape;
    std::vector<int64_t> acc = conv_acc(s, t[0], static_cast<int64_t>(scalar(t[2])), t[3], t[5],
                                        t.size() > 8 ? &t[8] : nullptr, &shape);
    Tensor y = Tensor::empty(s.yt, shape);
    int64_t m = s.w[0], plane = shape[2] * shape[3];
    std::vector<double> v(acc.size());
    for (size_t i = 0; i < acc.size(); ++i) {
      int64_t ch = static_cast<int64_t>(i) / plane % m;
      float scale = static_cast<float>(scalar(t[1])) * static_cast<float>(per(t[4], ch)) / static_cast<float>(scalar(t[6]));
      v[i] = requant(static_cast<float>(acc[i]) * scale, static_cast<int64_t>(scalar(t[7])), s.yt);
    }
    return std::vector<Tensor>{tensor(s.yt, shape, v)};
  };
  return c;
}
}  // namespace

std::vector<OpCase> q_linear_conv_cases() {
  std::vector<OpCase> v;
  for (const QConvSpec& s : std::vector<QConvSpec>{
           {.name = "q_linear_conv_u8s8_per_channel_pad1", .x = {2, 5, 7, 9}, .w = {6, 5, 3, 3}, .pads = {1, 1, 1, 1}},
           {.name = "q_linear_conv_u8s8_per_tensor_no_bias", .x = {1, 5, 7, 9}, .w = {6, 5, 3, 3}, .per_channel = false,
            .bias = false},
           {.name = "q_linear_conv_depthwise_s2_asym_pads", .x = {2, 7, 9, 8}, .w = {7, 1, 3, 3}, .strides = {2, 2},
            .pads = {1, 0, 1, 2}, .group = 7},
           {.name = "q_linear_conv_pointwise_35ch_s8_out", .x = {1, 35, 5, 7}, .w = {9, 35, 1, 1},
            .yt = DType::kI8},
           {.name = "q_linear_conv_s8s8_group3_dilation2", .x = {1, 6, 9, 9}, .w = {9, 2, 3, 3}, .xt = DType::kI8,
            .yt = DType::kI8, .dilations = {2, 2}, .group = 3},
           {.name = "q_linear_conv_u8u8_odd_depth_stride3", .x = {1, 3, 11, 10}, .w = {5, 3, 3, 2}, .wt = DType::kU8,
            .strides = {3, 2}},
       })
    v.push_back(q_linear_conv_case(s));
  // Saturation and round-half-even in the requantisation, by hand: 1x1 conv, one channel, x_zp 0, w = 1,
  // scales x 1, w 0.5, y 1 (scale 0.5), y_zp 10; acc = x + bias(1): x = 0,2,4,6,250 -> acc 1,3,5,7,251 ->
  // 0.5,1.5,2.5,3.5,125.5 -> 0,2,2,4,126 -> +10 = 10,12,12,14,136; x = 255 -> 256 -> 128 + 10 = 138.
  OpCase edge = exact_case(
      "q_linear_conv_requant_half_even", "QLinearConv",
      {in_values("x", {1, 1, 1, 6}, {0, 2, 4, 6, 250, 255}, DType::kU8), cq("x_scale", {}, {1}), cq("x_zp", {}, {0}, DType::kU8),
       cq("w", {1, 1, 1, 1}, {1}, DType::kI8), cq("w_scale", {1}, {0.5}), cq("w_zp", {1}, {0}, DType::kI8),
       cq("y_scale", {}, {1}), cq("y_zp", {}, {10}, DType::kU8), cq("b", {1}, {1}, DType::kI32)},
      {tensor(DType::kU8, {1, 1, 1, 6}, {10, 12, 12, 14, 136, 138})});
  // y = 2 * x (scale 2) saturates: x = 0, 60, 127, 128, 200 -> 0, 120, 254, 256 -> 255, 400 -> 255; s8 output
  // with zp -100: 0-100, 120-100, min(254-100, 127) ... -> -100, 20, 127, 127, 127.
  OpCase sat = exact_case(
      "q_linear_conv_saturates_s8", "QLinearConv",
      {in_values("x", {1, 1, 1, 5}, {0, 60, 127, 128, 200}, DType::kU8), cq("x_scale", {}, {1}), cq("x_zp", {}, {0}, DType::kU8),
       cq("w", {1, 1, 1, 1}, {1}, DType::kI8), cq("w_scale", {}, {2}), cq("w_zp", {}, {0}, DType::kI8),
       cq("y_scale", {}, {1}), cq("y_zp", {}, {-100}, DType::kI8)},
      {tensor(DType::kI8, {1, 1, 1, 5}, {-100, 20, 127, 127, 127})});
  v.push_back(edge);
  v.push_back(sat);
  return v;
}

std::vector<OpCase> conv_integer_cases() {
  QConvSpec s{.name = "conv_integer_u8u8_pads_per_channel_zp", .x = {2, 3, 6, 7}, .w = {4, 3, 3, 3}, .wt = DType::kU8,
              .pads = {1, 2, 0, 1}};
  OpCase c{.name = s.name, .op_type = "ConvInteger", .attrs = conv_attrs(s)};
  c.inputs = {rnd("x", s.x, DType::kU8), rnd_const("w", s.w, DType::kU8), cq("x_zp", {}, {7}, DType::kU8),
              cq("w_zp", {4}, {0, 128, 255, 3}, DType::kU8)};
  c.oracle = [s](const std::vector<Tensor>& t) {
    Shape shape;
    std::vector<int64_t> acc = conv_acc(s, t[0], static_cast<int64_t>(scalar(t[2])), t[1], t[3], nullptr, &shape);
    return std::vector<Tensor>{tensor(DType::kI32, shape, std::vector<double>(acc.begin(), acc.end()))};
  };
  return {c};
}

namespace {
// a [B?, M, K] x b [K, N] (b shared across the batch) with per-row a_zp and per-column b_zp.
std::vector<int64_t> matmul_acc(const Tensor& a, const Tensor& a_zp, const Tensor& b, const Tensor& b_zp, int64_t batch,
                                int64_t m, int64_t k, int64_t n, bool ta = false, bool tb = false) {
  std::vector<int64_t> acc(static_cast<size_t>(batch * m * n));
  for (int64_t bi = 0; bi < batch; ++bi)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        int64_t sum = 0;
        for (int64_t p = 0; p < k; ++p) {
          int64_t av = static_cast<int64_t>(at(a, bi * m * k + (ta ? p * m + i : i * k + p))) -
                       static_cast<int64_t>(a_zp.defined() ? per(a_zp, i) : 0);
          int64_t bv = static_cast<int64_t>(at(b, tb ? j * k + p : p * n + j)) -
                       static_cast<int64_t>(b_zp.defined() ? per(b_zp, j) : 0);
          sum += av * bv;
        }
        acc[static_cast<size_t>((bi * m + i) * n + j)] = sum;
      }
  return acc;
}
}  // namespace

std::vector<OpCase> mat_mul_integer_cases() {
  OpCase c{.name = "mat_mul_integer_batched_row_and_column_zp", .op_type = "MatMulInteger"};
  c.inputs = {rnd("a", {2, 5, 37}, DType::kU8), rnd_const("b", {37, 6}, DType::kI8), cq("a_zp", {5}, {0, 1, 128, 255, 9}, DType::kU8),
              cq("b_zp", {6}, {0, -1, 5, 127, -128, 3}, DType::kI8)};
  c.oracle = [](const std::vector<Tensor>& t) {
    std::vector<int64_t> acc = matmul_acc(t[0], t[2], t[1], t[3], 2, 5, 37, 6);
    return std::vector<Tensor>{tensor(DType::kI32, {2, 5, 6}, std::vector<double>(acc.begin(), acc.end()))};
  };
  return {c};
}

std::vector<OpCase> q_linear_mat_mul_cases() {
  std::vector<OpCase> v;
  for (bool per_column : {false, true}) {
    OpCase c{.name = per_column ? "q_linear_mat_mul_u8s8_per_column" : "q_linear_mat_mul_u8u8_per_tensor",
             .op_type = "QLinearMatMul"};
    DType bt = per_column ? DType::kI8 : DType::kU8;
    Shape qs = per_column ? Shape{7} : Shape{};
    std::vector<double> bs = per_column ? std::vector<double>{0.01, 0.02, 0.005, 0.03, 0.011, 0.007, 0.02}
                                        : std::vector<double>{0.013};
    std::vector<double> bz = per_column ? std::vector<double>{0, 1, -2, 3, 0, 5, -7} : std::vector<double>{128};
    c.inputs = {rnd("a", {3, 4, 33}, DType::kU8), cq("a_scale", {}, {0.03}), cq("a_zp", {}, {120}, DType::kU8),
                rnd_const("b", {33, 7}, bt),     cq("b_scale", qs, bs),      cq("b_zp", qs, bz, bt),
                cq("y_scale", {}, {0.4}),         cq("y_zp", {}, {100}, DType::kU8)};
    c.oracle = [](const std::vector<Tensor>& t) {
      std::vector<int64_t> acc = matmul_acc(t[0], t[2], t[3], t[5], 3, 4, 33, 7);
      std::vector<double> y(acc.size());
      for (size_t i = 0; i < acc.size(); ++i) {
        float scale = static_cast<float>(scalar(t[1])) * static_cast<float>(per(t[4], static_cast<int64_t>(i % 7))) /
                      static_cast<float>(scalar(t[6]));
        y[i] = requant(static_cast<float>(acc[i]) * scale, static_cast<int64_t>(scalar(t[7])), DType::kU8);
      }
      return std::vector<Tensor>{tensor(DType::kU8, {3, 4, 7}, y)};
    };
    v.push_back(c);
  }
  return v;
}

std::vector<OpCase> q_gemm_cases() {
  std::vector<OpCase> v;
  for (bool quantized_out : {true, false}) {
    OpCase c{.name = quantized_out ? "q_gemm_transb_bias_u8_out" : "q_gemm_transa_float_out",
             .op_type = "QGemm",
             .domain = kMs,
             .opset = 1};
    bool ta = !quantized_out, tb = quantized_out;
    c.attrs = {{"transA", Attr::of_int(ta)}, {"transB", Attr::of_int(tb)}, {"alpha", Attr::of_float(0.5f)}};
    Shape as = ta ? Shape{19, 5} : Shape{5, 19}, bs = tb ? Shape{6, 19} : Shape{19, 6};
    CaseInput bias = in("c", {6}, DType::kI32);
    bias.lo = -3000;
    bias.hi = 3000;
    c.inputs = {rnd("a", as, DType::kU8), cq("a_scale", {}, {0.05}), cq("a_zp", {}, {128}, DType::kU8),
                rnd_const("b", bs, DType::kI8), cq("b_scale", {6}, {0.01, 0.02, 0.03, 0.015, 0.004, 0.009}),
                cq("b_zp", {6}, {0, 0, 0, 0, 0, 0}, DType::kI8), constant(bias)};
    if (quantized_out) {
      c.inputs.push_back(cq("y_scale", {}, {0.2}));
      c.inputs.push_back(cq("y_zp", {}, {128}, DType::kU8));
    }
    c.rtol = kFloatRtol;
    c.oracle = [quantized_out, ta, tb](const std::vector<Tensor>& t) {
      std::vector<int64_t> acc = matmul_acc(t[0], t[2], t[3], t[5], 1, 5, 19, 6, ta, tb);
      std::vector<double> y(acc.size());
      for (size_t i = 0; i < acc.size(); ++i) {
        int64_t j = static_cast<int64_t>(i % 6);
        float scale = 0.5f * static_cast<float>(scalar(t[1])) * static_cast<float>(per(t[4], j));
        if (quantized_out) scale /= static_cast<float>(scalar(t[7]));
        float v = static_cast<float>(acc[i] + static_cast<int64_t>(at(t[6], j))) * scale;
        y[i] = quantized_out ? requant(v, static_cast<int64_t>(scalar(t[8])), DType::kU8) : v;
      }
      return std::vector<Tensor>{tensor(quantized_out ? DType::kU8 : DType::kF32, {5, 6}, y)};
    };
    v.push_back(c);
  }
  // s8 A, no transposes, per-tensor b_scale, one C for every column, float output: the oneDNN lowering's
  // other paths (int8 matmul to int32, then the output stage).
  OpCase f{.name = "q_gemm_s8_scalar_bias_float_out", .op_type = "QGemm", .domain = kMs, .opset = 1};
  f.attrs = {{"alpha", Attr::of_float(1.5f)}};
  CaseInput bias = in("c", {1}, DType::kI32);
  bias.lo = -3000;
  bias.hi = 3000;
  f.inputs = {rnd("a", {7, 40}, DType::kI8), cq("a_scale", {}, {0.03}), cq("a_zp", {}, {-5}, DType::kI8),
              rnd_const("b", {40, 9}, DType::kI8), cq("b_scale", {}, {0.02}), cq("b_zp", {}, {0}, DType::kI8),
              constant(bias)};
  f.rtol = kFloatRtol;
  f.oracle = [](const std::vector<Tensor>& t) {
    std::vector<int64_t> acc = matmul_acc(t[0], t[2], t[3], t[5], 1, 7, 40, 9);
    std::vector<double> y(acc.size());
    float scale = 1.5f * static_cast<float>(scalar(t[1])) * static_cast<float>(scalar(t[4]));
    for (size_t i = 0; i < acc.size(); ++i) y[i] = static_cast<float>(acc[i] + static_cast<int64_t>(at(t[6], 0))) * scale;
    return std::vector<Tensor>{tensor(DType::kF32, {7, 9}, y)};
  };
  v.push_back(f);
  return v;
}

// ONNX Runtime's x86 QLinearAdd (ops/qadd_kernel.h), computed here in double: every product and sum below is
// exact in double, so rounding the sum to float once is what a fused multiply-add gives.
float ort_fma(float x, float r, float add) { return static_cast<float>(static_cast<double>(x) * r + add); }
double ort_qadd(double a, double b, float ra, float rb, int za, int zb, int zc, double lo, double hi) {
  float fixed = static_cast<float>(zc) - ort_fma(ra, static_cast<float>(za), rb * static_cast<float>(zb));
  float v = ort_fma(static_cast<float>(a), ra, ort_fma(static_cast<float>(b), rb, fixed));
  return std::clamp(std::nearbyint(static_cast<double>(v)), lo, hi);  // nearbyint: half to even
}

// One QLinearAdd with u8 A of `a_shape` filled with `a` and B of `b_shape` filled with `b`; every output
// element is `want`, as onnxruntime-node 1.30 computed it (each input picked so that a rounding choice of
// ORT's kernel decides the byte: see ops/qadd_kernel.h).
OpCase ort_pinned_add(const char* name, Shape a_shape, int a, Shape b_shape, int b, float sa, int za, float sb, int zb,
                      float sc, int zc, int want) {
  Shape out = shape_numel(a_shape) >= shape_numel(b_shape) ? a_shape : b_shape;
  return exact_case(name, "QLinearAdd",
                    {in_values("a", a_shape, std::vector<double>(shape_numel(a_shape), a), DType::kU8),
                     cq("a_scale", {}, {sa}), cq("a_zp", {}, {double(za)}, DType::kU8),
                     in_values("b", b_shape, std::vector<double>(shape_numel(b_shape), b), DType::kU8),
                     cq("b_scale", {}, {sb}), cq("b_zp", {}, {double(zb)}, DType::kU8), cq("c_scale", {}, {sc}),
                     cq("c_zp", {}, {double(zc)}, DType::kU8)},
                    {tensor(DType::kU8, out, std::vector<double>(shape_numel(out), want))}, {}, kMs, 1);
}

std::vector<OpCase> q_linear_add_cases() {
  // Exact ties round half to even, as ONNX Runtime's x86 kernel does (checked against onnxruntime 1.30 with
  // this model): A_scale = B_scale = 0.5, C_scale = 1, A - 10 = 1, 3, 5, -1, -3, -5, B = B_zp: 0.5, 1.5,
  // 2.5, -0.5, -1.5, -2.5 -> 0, 2, 2, -0, -2, -2 -> + 100. (Fixed-point requantisation, rounding half away
  // from zero, would give 101, 102, 103, 99, 98, 97.)
  OpCase ties = exact_case("q_linear_add_ties_half_even", "QLinearAdd",
                           {in_values("a", {6}, {11, 13, 15, 9, 7, 5}, DType::kU8), cq("a_scale", {}, {0.5}),
                            cq("a_zp", {}, {10}, DType::kU8), in_values("b", {6}, {50, 50, 50, 50, 50, 50}, DType::kU8),
                            cq("b_scale", {}, {0.5}), cq("b_zp", {}, {50}, DType::kU8), cq("c_scale", {}, {1}),
                            cq("c_zp", {}, {100}, DType::kU8)},
                           {tensor(DType::kU8, {6}, {100, 102, 102, 100, 98, 98})}, {}, kMs, 1);
  // Saturation with broadcasting (B a scalar): s8, all scales 1, zps 0: 100 + 100 -> 127, -100 - 100 -> -128.
  OpCase sat = exact_case("q_linear_add_s8_broadcast_saturates", "QLinearAdd",
                          {in_values("a", {2, 2}, {100, -100, 20, -128}, DType::kI8), cq("a_scale", {}, {1}),
                           cq("a_zp", {}, {0}, DType::kI8), in_values("b", {1}, {100}, DType::kI8), cq("b_scale", {}, {1}),
                           cq("b_zp", {}, {0}, DType::kI8), cq("c_scale", {}, {1}), cq("c_zp", {}, {0}, DType::kI8)},
                          // a + 100: 200 -> 127, 0, 120, -28.
                          {tensor(DType::kI8, {2, 2}, {127, 0, 120, -28})}, {}, kMs, 1);
  // A tiny ratio (A_scale 1e-5, C_scale 1): 1e-5 * 255 + 3 -> 3.
  OpCase tiny = exact_case("q_linear_add_tiny_ratio", "QLinearAdd",
                           {in_values("a", {2}, {255, 0}, DType::kU8), cq("a_scale", {}, {1e-5}),
                            cq("a_zp", {}, {0}, DType::kU8), in_values("b", {2}, {3, 4}, DType::kU8),
                            cq("b_scale", {}, {1}), cq("b_zp", {}, {0}, DType::kU8), cq("c_scale", {}, {1}),
                            cq("c_zp", {}, {0}, DType::kU8)},
                           {tensor(DType::kU8, {2}, {3, 4})}, {}, kMs, 1);
  std::vector<OpCase> v = {ties, sat, tiny};
  // Pinned against ORT. The constant's contracted zero-point sum (a residual add of the zoo MobileNetV2 on
  // val image 47615: 73.5 with it, 73.499985 without); B a scalar over A, its product contracted into the
  // constant; A a scalar over B, the operands swapped.
  v.push_back(ort_pinned_add("q_linear_add_ort_constant", {1, 40}, 150, {1, 40}, 54, 0.0355620831f, 132, 0.0289341435f,
                             128, 0.0435075089f, 108, 74));
  v.push_back(ort_pinned_add("q_linear_add_ort_scalar_b_1", {1, 40}, 27, {1}, 182, 0.033594064f, 66, 0.08190804f, 241,
                             0.03875547f, 251, 93));
  v.push_back(ort_pinned_add("q_linear_add_ort_scalar_b_2", {1, 40}, 25, {1}, 42, 0.051337086f, 142, 0.05946255f, 1,
                             0.090341136f, 47, 8));
  v.push_back(ort_pinned_add("q_linear_add_ort_channel_b", {2, 3, 4}, 166, {1, 3, 1}, 22, 0.09838076f, 111,
                             0.04116574f, 218, 0.06253045f, 56, 14));
  v.push_back(ort_pinned_add("q_linear_add_ort_scalar_a_1", {1}, 127, {1, 40}, 68, 0.05874992f, 95, 0.018451693f, 115,
                             0.034331124f, 42, 71));
  v.push_back(ort_pinned_add("q_linear_add_ort_scalar_a_2", {1}, 17, {1, 40}, 87, 0.022193965f, 90, 0.08423847f, 226,
                             0.074257985f, 252, 73));
  v.push_back(ort_pinned_add("q_linear_add_ort_channel_a", {1, 4, 1}, 127, {2, 4, 3}, 68, 0.05874992f, 95, 0.018451693f,
                             115, 0.034331124f, 42, 71));
  v.push_back(ort_pinned_add("q_linear_add_ort_scalar_a_3", {1}, 221, {1, 40}, 50, 0.031062502f, 130, 0.07600129f, 55,
                             0.027646115f, 38, 127));
  // Random cases, same shape and broadcast (B [2,1] is one element over each innermost span of 37, which
  // computes as the same-shape formula with its inner fma done once), against the formula above. Scales that make many exact ties, and ones that do not;
  // 37 elements take the vector loop and its tail.
  struct Rnd {
    const char* name;
    Shape b_shape;
    float sa, sb, sc;
    int za, zb, zc;
  };
  for (const Rnd& r : {Rnd{"q_linear_add_u8_random_ties", {2, 37}, 0.5f, 0.25f, 0.5f, 10, 200, 7},
                       Rnd{"q_linear_add_u8_random", {2, 37}, 0.031f, 0.07f, 0.05f, 121, 9, 128},
                       Rnd{"q_linear_add_u8_broadcast_random", {2, 1}, 0.031f, 0.07f, 0.05f, 121, 9, 128},
                       Rnd{"q_linear_add_u8_row_broadcast", {1, 37}, 0.031f, 0.07f, 0.05f, 121, 9, 128}}) {
    OpCase c{.name = r.name, .op_type = "QLinearAdd", .domain = kMs, .opset = 1};
    c.inputs = {rnd("a", {2, 37}, DType::kU8), cq("a_scale", {}, {r.sa}), cq("a_zp", {}, {double(r.za)}, DType::kU8),
                rnd("b", r.b_shape, DType::kU8), cq("b_scale", {}, {r.sb}), cq("b_zp", {}, {double(r.zb)}, DType::kU8),
                cq("c_scale", {}, {r.sc}), cq("c_zp", {}, {double(r.zc)}, DType::kU8)};
    c.oracle = [r](const std::vector<Tensor>& t) {
      bool b_scalar = r.b_shape[1] == 1, b_row = r.b_shape[0] == 1;
      std::vector<double> y;
      for (int64_t i = 0; i < 74; ++i)
        y.push_back(ort_qadd(at(t[0], i), at(t[3], b_scalar ? i / 37 : b_row ? i % 37 : i), r.sa / r.sc, r.sb / r.sc,
                             r.za, r.zb, r.zc, 0, 255));
      return std::vector<Tensor>{tensor(DType::kU8, {2, 37}, y)};
    };
    v.push_back(c);
  }
  return v;
}

std::vector<OpCase> q_linear_mul_cases() {
  // Ratio 0.5 * 0.5 / 0.25 = 1: C = (A - 3)(B + 2) + 10 saturated to s8: (5-3)(4+2)=12 -> 22,
  // (-3-3)(-2+2)=0 -> 10, (13-3)(18+2)=200 -> 127, (-128-3)(1+2)=-393 -> -128.
  OpCase c = exact_case("q_linear_mul_s8_saturates", "QLinearMul",
                        {in_values("a", {4}, {5, -3, 13, -128}, DType::kI8), cq("a_scale", {}, {0.5}),
                         cq("a_zp", {}, {3}, DType::kI8), in_values("b", {4}, {4, -2, 18, 1}, DType::kI8),
                         cq("b_scale", {}, {0.5}), cq("b_zp", {}, {-2}, DType::kI8), cq("c_scale", {}, {0.25}),
                         cq("c_zp", {}, {10}, DType::kI8)},
                        {tensor(DType::kI8, {4}, {22, 10, 127, -128})}, {}, kMs, 1);
  // Ratio 0.5: products 1, 3, 5 -> 0.5, 1.5, 2.5 -> half to even 0, 2, 2 (+ zp 0).
  OpCase half = exact_case("q_linear_mul_half_even", "QLinearMul",
                           {in_values("a", {3}, {1, 3, 5}, DType::kU8), cq("a_scale", {}, {1}),
                            cq("a_zp", {}, {0}, DType::kU8), in_values("b", {1}, {1}, DType::kU8), cq("b_scale", {}, {1}),
                            cq("b_zp", {}, {0}, DType::kU8), cq("c_scale", {}, {2})},
                           {tensor(DType::kU8, {3}, {0, 2, 2})}, {}, kMs, 1);
  // ORT adds C_zp in float before rounding, so the zero point decides ties (pinned against onnxruntime 1.30):
  // (134 - 133)(242 - 240) * 0.0625 / 0.25 = 0.5, + 11 = 11.5 -> 12 (rounding first would give 0 + 11).
  OpCase zp_tie = exact_case("q_linear_mul_zero_point_decides_ties", "QLinearMul",
                             {in_values("a", {4}, {134, 134, 134, 134}, DType::kU8), cq("a_scale", {}, {0.0625}),
                              cq("a_zp", {}, {133}, DType::kU8), in_values("b", {4}, {242, 242, 242, 242}, DType::kU8),
                              cq("b_scale", {}, {1}), cq("b_zp", {}, {240}, DType::kU8), cq("c_scale", {}, {0.25}),
                              cq("c_zp", {}, {11}, DType::kU8)},
                             {tensor(DType::kU8, {4}, {12, 12, 12, 12})}, {}, kMs, 1);
  return {c, half, zp_tie};
}

std::vector<OpCase> q_linear_global_average_pool_cases() {
  std::vector<OpCase> v;
  for (bool last : {false, true}) {
    OpCase c{.name = last ? "q_linear_global_average_pool_channels_last" : "q_linear_global_average_pool_nchw",
             .op_type = "QLinearGlobalAveragePool",
             .domain = kMs,
             .opset = 1,
             .attrs = {{"channels_last", Attr::of_int(last)}}};
    Shape xs = last ? Shape{2, 5, 3, 7} : Shape{2, 7, 5, 3};
    c.inputs = {rnd("x", xs, DType::kU8), cq("x_scale", {}, {0.1}), cq("x_zp", {}, {128}, DType::kU8),
                cq("y_scale", {}, {0.03}), cq("y_zp", {}, {64}, DType::kU8)};
    c.oracle = [last](const std::vector<Tensor>& t) {
      int64_t image = 15, ch = 7;
      float scale = 0.1f / (0.03f * 15.f);
      std::vector<double> y;
      for (int64_t n = 0; n < 2; ++n)
        for (int64_t cc = 0; cc < ch; ++cc) {
          int64_t sum = 0;
          for (int64_t p = 0; p < image; ++p)
            sum += static_cast<int64_t>(at(t[0], last ? (n * image + p) * ch + cc : (n * ch + cc) * image + p)) - 128;
          y.push_back(requant(static_cast<float>(sum) * scale, 64, DType::kU8));
        }
      return std::vector<Tensor>{tensor(DType::kU8, last ? Shape{2, 1, 1, 7} : Shape{2, 7, 1, 1}, y)};
    };
    v.push_back(c);
  }
  return v;
}

std::vector<OpCase> q_linear_concat_cases() {
  // Output scale 0.5, zp 10. Input 1 (scale 0.5, zp 10) maps to itself; input 2 (scale 0.25, zp 0):
  // 0.25 * q / 0.5 = q / 2 -> q = 1 -> 0.5 -> 0 (+10), 3 -> 1.5 -> 2 (+10), 255 -> 127.5 -> 128 (+10 = 138).
  return {exact_case("q_linear_concat_axis1_requantises", "QLinearConcat",
                     {cq("y_scale", {}, {0.5}), cq("y_zp", {}, {10}, DType::kU8),
                      in_values("x1", {1, 2}, {7, 250}, DType::kU8), cq("s1", {}, {0.5}), cq("z1", {}, {10}, DType::kU8),
                      in_values("x2", {1, 3}, {1, 3, 255}, DType::kU8), cq("s2", {}, {0.25}), cq("z2", {}, {0}, DType::kU8)},
                     {tensor(DType::kU8, {1, 5}, {7, 250, 10, 12, 138})}, {{"axis", Attr::of_int(1)}}, kMs, 1)};
}

}  // namespace inr::test
