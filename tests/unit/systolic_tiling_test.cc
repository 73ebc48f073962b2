// Gemmini's software tile choices (src/backends/systolic/tiling.h) against the worked examples of
// ../shared/research/gemmini.md section 3 (tiled_matmul_auto, and DOSA's recorded tiled_conv_auto tilings
// for ResNet50).
#include <gtest/gtest.h>

#include "backends/systolic/tiling.h"

namespace inr::systolic {
namespace {

struct MatmulCase {
  int64_t I, J, K;
  Dataflow df;
  int64_t tI, tJ, tK;
};

TEST(SystolicTiling, MatmulAutoWorkedExamples) {
  const MatmulCase cases[] = {
      {1, 1000, 2048, Dataflow::kWS, 1, 8, 56},   {1, 1000, 2048, Dataflow::kOS, 1, 13, 73},
      {3136, 64, 64, Dataflow::kWS, 8, 4, 4},     {3136, 256, 64, Dataflow::kWS, 5, 6, 4},
      {3136, 64, 256, Dataflow::kWS, 8, 4, 16},   {784, 128, 512, Dataflow::kWS, 5, 6, 32},
      {49, 512, 2048, Dataflow::kWS, 4, 6, 51},   {49, 2048, 512, Dataflow::kWS, 4, 8, 32},
      {3136, 64, 64, Dataflow::kOS, 16, 4, 4},
  };
  const Config c = default_config();
  for (const MatmulCase& m : cases) {
    MatmulTiling t = tiled_matmul_auto(m.I, m.J, m.K, m.df, c);
    EXPECT_EQ(t.tile_I, m.tI) << m.I << "x" << m.J << "x" << m.K << " " << dataflow_name(m.df);
    EXPECT_EQ(t.tile_J, m.tJ) << m.I << "x" << m.J << "x" << m.K << " " << dataflow_name(m.df);
    EXPECT_EQ(t.tile_K, m.tK) << m.I << "x" << m.J << "x" << m.K << " " << dataflow_name(m.df);
    // The tile fits its half (WS) or all (OS) of the scratchpad and accumulator.
    const bool db = m.df == Dataflow::kWS;
    EXPECT_LE(t.spad_rows, db ? 8192 : 16384);
    EXPECT_LE(t.acc_rows, db ? 512 : 1024);
  }
  MatmulTiling fc = tiled_matmul_auto(1, 1000, 2048, Dataflow::kWS, c);
  EXPECT_EQ(fc.I0, 1);
  EXPECT_EQ(fc.J0, 8);  // 1008 / 128 rounded up
  EXPECT_EQ(fc.K0, 3);  // 2048 / 896 rounded up
  EXPECT_EQ(fc.tiles(), 24);
}

TEST(SystolicTiling, MatmulAutoScalesWithTheConfig) {
  // A 4x bigger accumulator lets I and J tiles grow; a 32x32 array counts blocks of 32.
  Config big = default_config();
  big.acc_bytes *= 4;
  MatmulTiling t = tiled_matmul_auto(3136, 256, 64, Dataflow::kWS, big);
  EXPECT_GT(t.tile_I * t.tile_J, 5 * 6);
  EXPECT_LE(t.acc_rows, big.acc_rows() / 2);
  Config d32 = default_config();
  d32.dim = 32;
  MatmulTiling u = tiled_matmul_auto(64, 64, 64, Dataflow::kWS, d32);
  EXPECT_EQ(u.tile_I, 2);
  EXPECT_EQ(u.tile_J, 2);
  EXPECT_EQ(u.tile_K, 2);
  EXPECT_EQ(u.tiles(), 1);
}

ConvDims resnet_conv(int64_t in_hw, int64_t cin, int64_t cout, int64_t k, int64_t stride) {
  ConvDims d;
  d.in_h = d.in_w = in_hw;
  d.in_c = cin;
  d.out_c = cout;
  d.k_h = d.k_w = k;
  d.stride = stride;
  d.pad = k / 2;
  return d;
}

TEST(SystolicTiling, ConvAutoMatchesDosaRecordedTilings) {
  const Config c = default_config();
  ConvTiling conv1 = tiled_conv_auto(resnet_conv(224, 3, 64, 7, 2), c);
  EXPECT_EQ(conv1.batches, 1);
  EXPECT_EQ(conv1.porows, 22);
  EXPECT_EQ(conv1.pocols, 23);
  EXPECT_EQ(conv1.pochs, 16);
  EXPECT_EQ(conv1.krows, 7);
  EXPECT_EQ(conv1.kcols, 7);
  EXPECT_EQ(conv1.kchs, 3);
  EXPECT_EQ(conv1.tiles, 6 * 5 * 4);

  ConvTiling l3 = tiled_conv_auto(resnet_conv(28, 256, 256, 3, 2), c);  // 3x3 14x14 256->256 s2
  EXPECT_EQ(l3.porows, 14);
  EXPECT_EQ(l3.pocols, 14);
  EXPECT_EQ(l3.pochs, 32);
  EXPECT_EQ(l3.krows, 3);
  EXPECT_EQ(l3.kcols, 3);
  EXPECT_EQ(l3.kchs, 105);

  ConvTiling l4 = tiled_conv_auto(resnet_conv(14, 512, 512, 3, 2), c);  // 3x3 7x7 512->512 s2
  EXPECT_EQ(l4.porows, 7);
  EXPECT_EQ(l4.pocols, 7);
  EXPECT_EQ(l4.pochs, 96);
  EXPECT_EQ(l4.kchs, 113);
  for (const ConvTiling* t : {&conv1, &l3, &l4}) {
    EXPECT_LE(t->spad_rows, 8192);
    EXPECT_LE(t->acc_rows, 512);
  }
}

TEST(SystolicTiling, ConvDownsampleOnlyForUnpadded1x1Stride2) {
  const Config c = default_config();
  ConvDims ds = resnet_conv(56, 256, 512, 1, 2);
  EXPECT_TRUE(ds.downsample());
  EXPECT_TRUE(tiled_conv_auto(ds, c).downsample);
  ds.allow_downsample = false;  // the dosa branch
  EXPECT_FALSE(tiled_conv_auto(ds, c).downsample);
  EXPECT_FALSE(resnet_conv(56, 64, 64, 3, 2).downsample());
  ConvDims odd = resnet_conv(7, 64, 64, 1, 2);
  EXPECT_FALSE(odd.downsample());
  // Downsampling halves the input rows a tile needs, so at least as many outputs fit per tile.
  ConvDims on = resnet_conv(56, 256, 512, 1, 2), off = on;
  off.allow_downsample = false;
  EXPECT_LE(tiled_conv_auto(on, c).tiles, tiled_conv_auto(off, c).tiles);
}

TEST(SystolicTiling, ConvWithPoolingCountsPooledOutputs) {
  ConvDims d = resnet_conv(224, 3, 64, 7, 2);
  d.pool_size = 3;
  d.pool_stride = 2;
  d.pool_pad = 1;
  EXPECT_EQ(d.conv_out_h(), 112);
  EXPECT_EQ(d.pool_out_h(), 56);
  ConvTiling t = tiled_conv_auto(d, default_config());
  EXPECT_LE(t.porows, 56);
  EXPECT_LE(t.acc_rows, 512);
  EXPECT_LE(t.spad_rows, 8192);
  // acc rows of a pooled tile cover the conv outputs under it: (porows*2+2) x (pocols*2+2).
  EXPECT_EQ(t.acc_rows, cdiv(t.pochs, 16) * (t.porows * 2 + 2) * (t.pocols * 2 + 2));
}

TEST(SystolicTiling, ResaddAndGlobalAverage) {
  const Config c = default_config();
  ResaddTiling small = tiled_resadd_auto(16, 64, c);
  EXPECT_EQ(small.tile_I, 16);
  EXPECT_EQ(small.tile_J, 64);
  EXPECT_EQ(small.tiles, 1);
  ResaddTiling big = tiled_resadd_auto(3136, 256, c);  // 56x56x256
  EXPECT_LE(cdiv(big.tile_I, 16) * 16 * cdiv(big.tile_J, 16), 1024);
  // The larger dimension shrinks by one element at a time: I from 3136 down to 256, then both in turn
  // until 128 * 128/16 = 1024 rows.
  EXPECT_EQ(big.tile_I, 128);
  EXPECT_EQ(big.tile_J, 128);
  EXPECT_EQ(big.tiles, 25 * 2);
  GlobalAverageTiling g = tiled_global_average_auto(2048, c);
  EXPECT_EQ(g.channel_tile, 2048);
  EXPECT_EQ(g.tiles, 1);
  EXPECT_EQ(tiled_global_average_auto(20000, c).channel_tile, 16384);
}

}  // namespace
}  // namespace inr::systolic
