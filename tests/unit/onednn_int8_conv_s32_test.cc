// onednn::Int8ConvS32 (src/backends/onednn/onednn_s32_conv.h), the exact s8 x s8 -> int32 convolution the
// emulated Gemmini's -x 0 takes its accumulators from, against inr's integer convolution (conv_int32, the
// reference QLinearConv's) on odd sizes, groups, depthwise, strides, dilations and asymmetric pads, with
// weights of -128 and 127 and sources at -128 and 127 (the cases where vpmaddubsw's int16 pair sums saturate
// and oneDNN halves s8 weights, without VNNI). Bit for bit; in whole-layer and one-row bands; from NCHW and
// channels-last sources. The suite name puts it under the tier_*.OnednnInt8 tests too (INR_MAX_ISA=avx2,
// avx512, avx_vnni, baseline), where the u8 shift and the pair-safe split are what makes it exact.
#include <random>

#include <gtest/gtest.h>

#include "backends/onednn/onednn_int8.h"
#include "backends/onednn/onednn_s32_conv.h"
#include "core/cpu_tier.h"
#include "ops/quant_util.h"

namespace inr {
namespace {

struct Geometry {
  int64_t N, C, H, W, M, G, KH, KW, SH, SW, DH, DW, PT, PL, PB, PR;
};

ConvShape conv_shape_of(const Geometry& c) {
  ConvShape cs;
  cs.batch = c.N, cs.in_channels = c.C, cs.out_channels = c.M, cs.group = c.G;
  WindowGeometry& g = cs.geometry;
  g.in = {c.H, c.W}, g.kernel = {c.KH, c.KW}, g.stride = {c.SH, c.SW}, g.dilation = {c.DH, c.DW};
  g.pad_begin = {c.PT, c.PL}, g.pad_end = {c.PB, c.PR};
  g.out = {(c.H + c.PT + c.PB - ((c.KH - 1) * c.DH + 1)) / c.SH + 1,
           (c.W + c.PL + c.PR - ((c.KW - 1) * c.DW + 1)) / c.SW + 1};
  return cs;
}

// Weights over the whole s8 range, with output channel 0 all -128, channel 1 all 127 and channel 2
// alternating (the largest pair sums); sources mostly at the ends of the range.
Tensor weights(const Geometry& c, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> d(-128, 127);
  Tensor w = Tensor::empty(DType::kI8, {c.M, c.C / c.G, c.KH, c.KW});
  const int64_t k = w.numel() / c.M;
  int8_t* p = w.data<int8_t>();
  for (int64_t m = 0; m < c.M; ++m)
    for (int64_t i = 0; i < k; ++i)
      p[m * k + i] = static_cast<int8_t>(m == 0 ? -128 : m == 1 ? 127 : m == 2 ? (i % 2 ? 127 : -128) : d(rng));
  return w;
}
Tensor source(const Shape& shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> d(0, 9);
  std::uniform_int_distribution<int> any(-128, 127);
  Tensor x = Tensor::empty(DType::kI8, shape);
  for (int64_t i = 0; i < x.numel(); ++i) {
    int r = d(rng);
    x.data<int8_t>()[i] = static_cast<int8_t>(r < 4 ? -128 + r : r < 7 ? 127 - (r - 4) : any(rng));
  }
  return x;
}

// NCHW [N, C, H, W] -> [N, H, W, C].
Tensor channels_last(const Tensor& x) {
  const Shape& s = x.shape();
  Tensor y = Tensor::empty(DType::kI8, {s[0], s[2], s[3], s[1]});
  for (int64_t n = 0; n < s[0]; ++n)
    for (int64_t c = 0; c < s[1]; ++c)
      for (int64_t p = 0; p < s[2] * s[3]; ++p)
        y.data<int8_t>()[(n * s[2] * s[3] + p) * s[1] + c] = x.data<int8_t>()[(n * s[1] + c) * s[2] * s[3] + p];
  return y;
}

TEST(OnednnInt8ConvS32, AccumulatorsEqualTheReferenceBitForBit) {
  const std::vector<Geometry> cases = {
      {1, 5, 13, 11, 7, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},     // 3x3, pad 1
      {2, 6, 9, 10, 9, 3, 3, 2, 2, 1, 1, 2, 0, 1, 2, 0},      // grouped, stride 2x1, dilation 1x2, uneven pads
      {1, 13, 15, 7, 13, 13, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1},   // depthwise, stride 2
      {2, 11, 9, 9, 11, 11, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2},    // depthwise, dilation 2
      {1, 37, 7, 9, 19, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},     // 1x1
      {1, 3, 17, 17, 8, 1, 5, 5, 2, 2, 1, 1, 2, 2, 1, 2},     // 5x5 stride 2, the last rows unpadded
      {1, 40, 6, 5, 33, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},     // K = 360: sums up to 360 * 128 * 128
  };
  uint32_t seed = 1;
  for (const Geometry& c : cases) {
    const ConvShape cs = conv_shape_of(c);
    const int64_t OH = cs.geometry.out[0], OW = cs.geometry.out[1];
    const Tensor w = weights(c, seed++);
    const Tensor x = source({c.N, c.C, c.H, c.W}, seed++);
    std::vector<int32_t> want(static_cast<size_t>(c.N * c.M * OH * OW));
    conv_int32(cs, x, 0, w, {0}, nullptr, want.data());
    const Tensor x_cl = channels_last(x);
    const std::string label = ::testing::PrintToString(std::vector<int64_t>{c.N, c.C, c.H, c.W, c.M, c.G, c.KH, c.KW});
    // Whole layers (one band per image) and one output row per band (top, middle and bottom band shapes).
    for (int64_t band_bytes : {int64_t{1} << 30, int64_t{1}}) {
      auto made = onednn::Int8ConvS32::make(cs, w, band_bytes);
      // Plain and depthwise convolutions have fast int8 kernels on every tier; a grouped one with few
      // channels per group may have only oneDNN's reference kernel (AVX2), which make() refuses (the caller
      // keeps inr's own kernel).
      const bool depthwise = c.G == c.C && c.G == c.M && c.G > 1;
      if (!made.is_ok() && c.G > 1 && !depthwise) {
        EXPECT_NE(made.status().message().find("reference implementation"), std::string::npos) << made.status().message();
        continue;
      }
      ASSERT_TRUE(made.is_ok()) << label << ": " << made.status().message();
      onednn::Int8ConvS32& conv = **made;
      EXPECT_EQ(conv.band_rows(), band_bytes == 1 ? 1 : OH);
      // Without VNNI the weights beyond +-64 go through two pair-safe primitives (not depthwise: its JIT
      // kernel widens to 16 bits).
      EXPECT_EQ(conv.parts(), !onednn::cpu_has_exact_int8() && !depthwise ? 2 : 1) << label << " " << conv.impl();
      for (bool nhwc : {false, true}) {
        std::vector<int32_t> got(want.size(), 0x5a5a5a5a);
        int64_t bands = 0;
        conv.run((nhwc ? x_cl : x).data<int8_t>(), nhwc,
                 [&](int64_t n, int64_t oh0, int64_t oh1, const int32_t* const* acc) {
                   ++bands;
                   for (int64_t oh = oh0; oh < oh1; ++oh)
                     for (int64_t ow = 0; ow < OW; ++ow)
                       for (int64_t m = 0; m < c.M; ++m) {
                         const int64_t i = ((oh - oh0) * OW + ow) * c.M + m;
                         got[static_cast<size_t>(((n * c.M + m) * OH + oh) * OW + ow)] =
                             acc[0][i] + (acc[1] ? acc[1][i] : 0);
                       }
                 });
        EXPECT_EQ(bands, c.N * (band_bytes == 1 ? OH : 1));
        int64_t differ = 0;
        for (size_t i = 0; i < want.size(); ++i) differ += got[i] != want[i];
        EXPECT_EQ(differ, 0) << label << " nhwc " << nhwc << " band_bytes " << band_bytes << " on "
                             << cpu_tier_name(cpu_tier()) << " (" << conv.impl() << ")";
      }
    }
  }
}

// Sums that oneDNN's float store could round (|sum| >= 2^24 possible) are refused, with the reason.
TEST(OnednnInt8ConvS32, RefusesSumsBeyondTwoToTheTwentyFour) {
  const Geometry c{1, 64, 5, 5, 4, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1};  // K = 576: 255 * 127 * 576 > 2^24
  Tensor w = Tensor::empty(DType::kI8, {4, 64, 3, 3});
  for (int64_t i = 0; i < w.numel(); ++i) w.data<int8_t>()[i] = 127;
  auto made = onednn::Int8ConvS32::make(conv_shape_of(c), w);
  ASSERT_FALSE(made.is_ok());
  EXPECT_NE(made.status().message().find("2^24"), std::string::npos) << made.status().message();
  // Smaller weights on the same geometry are taken.
  for (int64_t i = 0; i < w.numel(); ++i) w.data<int8_t>()[i] = static_cast<int8_t>(i % 2 ? 50 : -50);
  EXPECT_TRUE(onednn::Int8ConvS32::make(conv_shape_of(c), w).is_ok());
}

}  // namespace
}  // namespace inr
