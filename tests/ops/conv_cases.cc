// Case tables for Conv and FusedConv. Independent check: a direct convolution in double (naive.h) with
// pads computed by the test's own auto_pad formula, against the im2col + blocked GEMM kernel (float
// accumulation). Odd sizes throughout: 7x9 spatial, 5 channels, depthwise group 5, stride 2, dilation 2,
// asymmetric pads, every auto_pad mode, 1-d and 3-d, and a case larger than one GEMM block.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "naive.h"
#include "op_case.h"

namespace inr::test {

namespace {
// Float accumulation over up to ~150 products of values in [-1, 1] vs double: relative error ~1e-6,
// absolute error near cancellations ~1e-6.
constexpr double kConvRtol = 1e-4;
constexpr double kConvAtol = 1e-5;

struct ConvSpec {
  std::string name;
  Shape x, w;
  bool bias = true;
  std::vector<int64_t> strides, dilations, pads;  // empty: ONNX defaults
  std::string auto_pad;                           // "" = NOTSET
  int64_t group = 1;
};

NaiveWindow window_of(const ConvSpec& s) {
  size_t r = s.x.size() - 2;
  NaiveWindow w;
  w.kernel.assign(s.w.begin() + 2, s.w.end());
  w.stride = s.strides.empty() ? std::vector<int64_t>(r, 1) : s.strides;
  w.dilation = s.dilations.empty() ? std::vector<int64_t>(r, 1) : s.dilations;
  w.pad_begin.assign(r, 0);
  w.pad_end.assign(r, 0);
  if (s.auto_pad == "SAME_UPPER" || s.auto_pad == "SAME_LOWER") {
    naive_same_pads(Shape(s.x.begin() + 2, s.x.end()), w, s.auto_pad == "SAME_UPPER");
  } else if (!s.pads.empty()) {
    w.pad_begin.assign(s.pads.begin(), s.pads.begin() + static_cast<int64_t>(r));
    w.pad_end.assign(s.pads.begin() + static_cast<int64_t>(r), s.pads.end());
  }
  return w;
}

std::map<std::string, Attr> conv_attrs(const ConvSpec& s) {
  std::map<std::string, Attr> a;
  if (!s.strides.empty()) a["strides"] = Attr::of_ints(s.strides);
  if (!s.dilations.empty()) a["dilations"] = Attr::of_ints(s.dilations);
  if (!s.pads.empty()) a["pads"] = Attr::of_ints(s.pads);
  if (!s.auto_pad.empty()) a["auto_pad"] = Attr::of_string(s.auto_pad);
  if (s.group != 1) a["group"] = Attr::of_int(s.group);
  a["kernel_shape"] = Attr::of_ints(std::vector<int64_t>(s.w.begin() + 2, s.w.end()));
  return a;
}

OpCase conv_case(const ConvSpec& s) {
  OpCase c{.name = s.name, .op_type = "Conv", .attrs = conv_attrs(s), .rtol = kConvRtol, .atol = kConvAtol};
  c.inputs = {in("x", s.x), constant(in("w", s.w))};
  if (s.bias) c.inputs.push_back(constant(in("b", {s.w[0]})));
  NaiveWindow win = window_of(s);
  int64_t group = s.group;
  c.oracle = [win, group](const std::vector<Tensor>& t) {
    const Tensor* b = t.size() > 2 ? &t[2] : nullptr;
    return std::vector<Tensor>{naive_conv(t[0], t[1], b, win, group)};
  };
  return c;
}

std::vector<ConvSpec> conv_specs() {
  return {
      {.name = "conv2d_pad1_bias", .x = {1, 5, 7, 9}, .w = {4, 5, 3, 3}, .pads = {1, 1, 1, 1}},
      {.name = "conv2d_depthwise_g5_s2_d2_asym_pads", .x = {2, 5, 7, 9}, .w = {5, 1, 3, 3}, .strides = {2, 2},
       .dilations = {2, 2}, .pads = {1, 0, 2, 1}, .group = 5},
      {.name = "conv2d_group2_stride_2x1", .x = {1, 6, 9, 7}, .w = {4, 3, 3, 3}, .bias = false, .strides = {2, 1},
       .pads = {0, 1, 1, 0}, .group = 2},
      {.name = "conv2d_same_upper_even_kernel", .x = {1, 3, 7, 9}, .w = {5, 3, 4, 2}, .strides = {2, 2}, .auto_pad = "SAME_UPPER"},
      {.name = "conv2d_same_lower_even_kernel", .x = {1, 3, 7, 9}, .w = {5, 3, 4, 2}, .strides = {2, 2}, .auto_pad = "SAME_LOWER"},
      {.name = "conv2d_valid_stride3", .x = {2, 3, 11, 10}, .w = {2, 3, 3, 2}, .strides = {3, 3}, .auto_pad = "VALID"},
      {.name = "conv2d_pointwise_1x1", .x = {2, 8, 7, 9}, .w = {5, 8, 1, 1}, .bias = false},
      {.name = "conv2d_multi_block_33ch", .x = {1, 16, 17, 19}, .w = {33, 16, 3, 3}, .pads = {1, 1, 1, 1}},
      {.name = "conv1d_stride2_pads", .x = {2, 3, 11}, .w = {4, 3, 3}, .strides = {2}, .pads = {1, 2}},
      {.name = "conv3d_mixed_strides", .x = {1, 2, 5, 6, 7}, .w = {3, 2, 3, 2, 3}, .strides = {1, 2, 1},
       .pads = {1, 0, 1, 1, 1, 1}},
  };
}
}  // namespace

std::vector<OpCase> conv_cases() {
  std::vector<OpCase> v;
  for (const ConvSpec& s : conv_specs()) v.push_back(conv_case(s));
  return v;
}

namespace {
double activation(const std::string& act, const std::vector<float>& p, double v) {
  if (act == "Relu") return std::max(v, 0.0);
  if (act == "Clip") return std::min(std::max(v, static_cast<double>(p[0])), static_cast<double>(p[1]));
  if (act == "LeakyRelu") return v >= 0 ? v : p[0] * v;
  if (act == "HardSigmoid") return std::max(0.0, std::min(1.0, p[0] * v + p[1]));
  if (act == "HardSwish") return v * std::max(0.0, std::min(1.0, v / 6.0 + 0.5));
  if (act == "Sigmoid") return 1.0 / (1.0 + std::exp(-v));
  return v;
}

OpCase fused_case(std::string name, const ConvSpec& s, std::string act, std::vector<float> params, bool residual) {
  OpCase c = conv_case(s);
  c.name = std::move(name);
  c.op_type = "FusedConv";
  c.domain = "inr";
  c.attrs["activation"] = Attr::of_string(act);
  if (!params.empty()) c.attrs["activation_params"] = Attr::of_floats(params);
  Oracle conv = c.oracle;
  if (residual) {
    if (!s.bias) c.inputs.push_back(absent("b"));
    NaiveWindow win = window_of(s);
    Shape out{s.x[0], s.w[0]};
    std::vector<int64_t> sp = naive_out_spatial(Shape(s.x.begin() + 2, s.x.end()), win, false);
    out.insert(out.end(), sp.begin(), sp.end());
    c.inputs.push_back(in("z", out));
  }
  c.oracle = [conv, act, params, residual](const std::vector<Tensor>& t) {
    std::vector<Tensor> in3(t.begin(), t.begin() + std::min<size_t>(t.size(), 3));
    if (in3.size() == 3 && !in3[2].defined()) in3.pop_back();
    Tensor y = conv(in3)[0];
    std::vector<double> v(static_cast<size_t>(y.numel()));
    for (int64_t i = 0; i < y.numel(); ++i)
      v[i] = activation(act, params, element(y, i) + (residual ? element(t[3], i) : 0.0));
    return std::vector<Tensor>{tensor(DType::kF32, y.shape(), v)};
  };
  return c;
}
}  // namespace

std::vector<OpCase> fused_conv_cases() {
  ConvSpec base{.name = "", .x = {1, 5, 7, 9}, .w = {6, 5, 3, 3}, .strides = {2, 1}, .pads = {1, 1, 1, 1}};
  ConvSpec dw{.name = "", .x = {1, 5, 7, 9}, .w = {5, 1, 3, 3}, .bias = false, .pads = {1, 1, 1, 1}, .group = 5};
  return {
      fused_case("fused_conv_no_activation", base, "", {}, false),
      fused_case("fused_conv_relu", base, "Relu", {}, false),
      fused_case("fused_conv_relu6_clip", base, "Clip", {0.f, 0.5f}, false),
      fused_case("fused_conv_leaky_relu", base, "LeakyRelu", {0.1f}, false),
      fused_case("fused_conv_hard_sigmoid", base, "HardSigmoid", {0.3f, 0.4f}, false),
      fused_case("fused_conv_hard_swish", base, "HardSwish", {}, false),
      fused_case("fused_conv_sigmoid", base, "Sigmoid", {}, false),
      fused_case("fused_conv_residual_relu", base, "Relu", {}, true),
      fused_case("fused_conv_depthwise_residual_no_bias", dw, "", {}, true),
  };
}

TEST(ConvErrors, ClearMessages) {
  auto msg = [](OpCase c) { return infer_case(c).message(); };
  OpCase rank{.name = "c", .op_type = "Conv", .inputs = {in("x", {1, 3, 7, 9}), constant(in("w", {4, 3, 3}))}};
  EXPECT_NE(msg(rank).find("weight rank 3, expected 4"), std::string::npos) << msg(rank);
  OpCase group{.name = "c", .op_type = "Conv", .attrs = {{"group", Attr::of_int(2)}},
               .inputs = {in("x", {1, 6, 7, 9}), constant(in("w", {4, 2, 3, 3}))}};
  EXPECT_NE(msg(group).find("channels mismatch for group 2"), std::string::npos) << msg(group);
  OpCase bias{.name = "c", .op_type = "Conv", .inputs = {in("x", {1, 3, 7, 9}), constant(in("w", {4, 3, 3, 3})), constant(in("b", {5}))}};
  EXPECT_NE(msg(bias).find("bias shape [5], expected [4]"), std::string::npos) << msg(bias);
  OpCase pad{.name = "c", .op_type = "Conv", .attrs = {{"auto_pad", Attr::of_string("SAME")}},
             .inputs = {in("x", {1, 3, 7, 9}), constant(in("w", {4, 3, 3, 3}))}};
  EXPECT_NE(msg(pad).find("unknown auto_pad 'SAME'"), std::string::npos) << msg(pad);
  OpCase ks{.name = "c", .op_type = "Conv", .attrs = {{"kernel_shape", Attr::of_ints({5, 5})}},
            .inputs = {in("x", {1, 3, 7, 9}), constant(in("w", {4, 3, 3, 3}))}};
  EXPECT_NE(msg(ks).find("kernel_shape [5,5] does not match"), std::string::npos) << msg(ks);
  OpCase act{.name = "c", .op_type = "FusedConv", .domain = "inr", .attrs = {{"activation", Attr::of_string("Gelu")}},
             .inputs = {in("x", {1, 3, 7, 9}), constant(in("w", {4, 3, 3, 3}))}};
  EXPECT_NE(msg(act).find("unsupported activation 'Gelu'"), std::string::npos) << msg(act);
  OpCase params{.name = "c", .op_type = "FusedConv", .domain = "inr", .attrs = {{"activation", Attr::of_string("Clip")}},
                .inputs = {in("x", {1, 3, 7, 9}), constant(in("w", {4, 3, 3, 3}))}};
  EXPECT_NE(msg(params).find("takes 2 activation_params, got 0"), std::string::npos) << msg(params);
  OpCase z{.name = "c", .op_type = "FusedConv", .domain = "inr",
           .inputs = {in("x", {1, 3, 7, 9}), constant(in("w", {4, 3, 3, 3})), absent("b"), in("z", {1, 4, 7, 9})}};
  EXPECT_NE(msg(z).find("residual Z"), std::string::npos) << msg(z);
  // Every error names the node.
  EXPECT_NE(msg(rank).find("node c (Conv)"), std::string::npos) << msg(rank);
}

// Issue #16: window sizes are computed with checked arithmetic (strides, dilations and pads come from the
// file): an overflow is one error naming the node, never a wrapped output size.
TEST(ConvErrors, WindowArithmeticThatWouldWrapIsAnError) {
  auto msg = [](OpCase c) { return infer_case(c).message(); };
  constexpr int64_t k2p62 = int64_t{1} << 62;
  OpCase dil{.name = "c", .op_type = "Conv", .attrs = {{"dilations", Attr::of_ints({k2p62, 1})}},
             .inputs = {in("x", {1, 1, 7, 7}), constant(in("w", {1, 1, 3, 3}))}};
  EXPECT_NE(msg(dil).find("node c (Conv): the window of spatial dim 0 overflows int64"), std::string::npos) << msg(dil);
  OpCase pads{.name = "m", .op_type = "MaxPool",
              .attrs = {{"kernel_shape", Attr::of_ints({3, 3})}, {"pads", Attr::of_ints({k2p62, 0, k2p62, 0})}},
              .inputs = {in("x", {1, 1, 7, 7})}};
  EXPECT_NE(msg(pads).find("overflows int64"), std::string::npos) << msg(pads);
  // VALID with a window wider than the input: (3 - 4) / 2 + 1 truncated to 1 output; there is none.
  OpCase valid{.name = "c", .op_type = "Conv", .attrs = {{"auto_pad", Attr::of_string("VALID")}, {"strides", Attr::of_ints({2, 2})}},
               .inputs = {in("x", {1, 1, 3, 3}), constant(in("w", {1, 1, 4, 4}))}};
  EXPECT_NE(msg(valid).find("output spatial size 0 < 1"), std::string::npos) << msg(valid);
  // ConvTranspose: stride 2^62 * (5 - 1) wrapped to 0 and gave a [1,1,1,1] output.
  OpCase ct{.name = "t", .op_type = "ConvTranspose", .attrs = {{"strides", Attr::of_ints({k2p62, 1})}},
            .inputs = {in("x", {1, 1, 5, 1}), constant(in("w", {1, 1, 1, 1}))}};
  EXPECT_NE(msg(ct).find("node t (ConvTranspose): output dim 0 overflows int64"), std::string::npos) << msg(ct);
  OpCase ct_pad{.name = "t", .op_type = "ConvTranspose", .attrs = {{"output_padding", Attr::of_ints({-1, 0})}},
                .inputs = {in("x", {1, 1, 5, 1}), constant(in("w", {1, 1, 1, 1}))}};
  EXPECT_NE(msg(ct_pad).find("output_padding [-1,0] is negative"), std::string::npos) << msg(ct_pad);
}

}  // namespace inr::test
