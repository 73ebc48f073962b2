// The OS and WS tile models and the CPU mode (backends/systolic/dataflow.h) against a plain int64 oracle,
// bit for bit, on random matmuls of odd sizes with several tile sizes, and what their counters must say; the
// conv loop model (LOOP_CONV_WS) against a direct convolution + Gemmini pooling oracle, and its counters against
// the cycle model's conv_cost for the same conv; the host's im2col and transposes against plain loops.
#include <array>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "backends/systolic/cycle_model.h"
#include "backends/systolic/dataflow.h"

namespace inr::systolic {
namespace {

struct Case {
  int64_t I, J, K;
  bool bias;
  Activation act;
};

std::vector<int8_t> random_i8(size_t n, std::mt19937& rng, int lo = -128, int hi = 127) {
  std::uniform_int_distribution<int> d(lo, hi);
  std::vector<int8_t> v(n);
  for (int8_t& x : v) x = static_cast<int8_t>(d(rng));
  return v;
}

std::vector<int8_t> oracle(const MatmulProblem& p) {
  std::vector<int8_t> c(static_cast<size_t>(p.I * p.J));
  for (int64_t i = 0; i < p.I; ++i)
    for (int64_t j = 0; j < p.J; ++j) {
      int64_t s = p.bias ? p.bias[j] : 0;
      for (int64_t k = 0; k < p.K; ++k) s += int64_t{p.A[i * p.lda + k]} * p.B[k * p.ldb + j];
      c[static_cast<size_t>(i * p.J + j)] = scale_and_activate(static_cast<int32_t>(s), p.epilogue);
    }
  return c;
}

TEST(SystolicDataflow, OsWsAndCpuModeAreBitIdenticalToTheOracle) {
  std::mt19937 rng(7);
  const Config cfg = default_config();
  const Case cases[] = {{1, 1, 1, false, Activation::kNone},   {17, 5, 33, true, Activation::kRelu},
                        {50, 70, 100, true, Activation::kNone}, {3, 200, 19, false, Activation::kRelu6},
                        {100, 33, 300, true, Activation::kRelu6}, {130, 17, 9, true, Activation::kNone},
                        // One column (a depthwise conv's per-channel matmul: the dot-product path), with one and
                        // with several K blocks.
                        {200, 1, 9, true, Activation::kRelu6},   {45, 1, 40, false, Activation::kNone}};
  const TileSizes tilings[] = {{1, 1, 1}, {2, 3, 1}, {3, 2, 4}, {5, 5, 51}, {8, 8, 64}};
  for (const Case& c : cases) {
    auto a = random_i8(static_cast<size_t>(c.I * c.K), rng);
    auto b = random_i8(static_cast<size_t>(c.K * c.J), rng);
    std::vector<int32_t> bias(static_cast<size_t>(c.J));
    std::uniform_int_distribution<int32_t> bd(-20000, 20000);
    for (int32_t& v : bias) v = bd(rng);
    MatmulProblem p;
    p.I = c.I, p.J = c.J, p.K = c.K;
    p.A = a.data(), p.lda = c.K, p.B = b.data(), p.ldb = c.J;
    p.bias = c.bias ? bias.data() : nullptr;
    // A scale that lands on ties and saturates now and then.
    p.epilogue = Epilogue{c.K > 50 ? 1.f / 512 : 1.f / 64, c.act, 90};
    const std::vector<int8_t> want = oracle(p);
    std::vector<int8_t> got(want.size());
    p.C = got.data(), p.ldc = c.J;
    auto bt = transpose_widen(b.data(), c.K, c.J, c.J);
    matmul_cpu(p, bt.data());
    EXPECT_EQ(got, want) << "cpu " << c.I << "x" << c.J << "x" << c.K;
    for (const TileSizes& t : tilings)
      for (Dataflow d : {Dataflow::kOS, Dataflow::kWS}) {
        if (!tiles_fit(t, d, cfg)) continue;
        std::fill(got.begin(), got.end(), int8_t{0x55});
        DataflowCounters n;
        tiled_matmul_model(p, t, d, cfg, &n);
        EXPECT_EQ(got, want) << dataflow_name(d) << " " << c.I << "x" << c.J << "x" << c.K << " tiles " << t.I << ","
                             << t.J << "," << t.K;
        const int64_t Ib = (c.I + 15) / 16, Jb = (c.J + 15) / 16, Kb = (c.K + 15) / 16;
        EXPECT_EQ(n.computes, Ib * Jb * Kb);
        EXPECT_EQ(n.mvout_bytes, c.I * c.J);
        const int64_t I0 = (Ib + t.I - 1) / t.I, J0 = (Jb + t.J - 1) / t.J, K0 = (Kb + t.K - 1) / t.K;
        EXPECT_EQ(n.tiles, I0 * J0 * K0);
        // A is loaded once per column tile, B once per row tile; D (int32) once per output tile.
        EXPECT_EQ(n.mvin_bytes, c.I * c.K * J0 + c.K * c.J * I0 + (c.bias ? 4 * c.I * c.J : 0));
        // WS loads new weights once per (k, j) block of each tile, OS never keeps them.
        if (d == Dataflow::kWS) {
          EXPECT_EQ(n.weight_preloads, Kb * Jb * I0);
        }
      }
  }
}

TEST(SystolicDataflow, OtherArraySizesToo) {
  std::mt19937 rng(3);
  for (int dim : {8, 32}) {
    Config cfg = default_config();
    cfg.dim = dim;
    cfg.sp_bytes = 64 * 1024 * dim / 8;
    cfg.acc_bytes = 16 * 1024 * dim / 8;
    for (int64_t J : {23, 1}) {  // J = 1: the one-column (dot product) path
      auto a = random_i8(37 * 29, rng);
      auto b = random_i8(29 * J, rng);
      MatmulProblem p;
      p.I = 37, p.J = J, p.K = 29;
      p.A = a.data(), p.lda = 29, p.B = b.data(), p.ldb = J;
      p.epilogue = Epilogue{1.f / 100, Activation::kNone, 127};
      const std::vector<int8_t> want = oracle(p);
      std::vector<int8_t> got(want.size());
      p.C = got.data(), p.ldc = J;
      for (Dataflow d : {Dataflow::kOS, Dataflow::kWS}) {
        tiled_matmul_model(p, TileSizes{2, 2, 2}, d, cfg, nullptr);
        EXPECT_EQ(got, want) << dataflow_name(d) << " dim " << dim << " J " << J;
      }
    }
  }
}

// WS at DIM 16 runs a one-column tile that is its output tile's only K tile (a depthwise conv's per-channel
// matmul) as one pass over the accumulator (bias, computes and the mvout's reads together); the step-by-step
// order is its oracle: the same C, counters, and scratchpad and accumulator contents afterwards (both runs start
// from the same garbage in the memories), on odd sizes, with and without a bias, C rows 1 and 3 apart, A rows K
// and 16 bytes apart (the depthwise A: bytes beyond K hold garbage here, which the mvin must not load).
TEST(SystolicDataflow, OneColumnPassEqualsTheStepByStepOrder) {
  std::mt19937 rng(19);
  const Config cfg = default_config();
  Scratch& s = thread_scratch(cfg);
  const size_t sp_bytes = static_cast<size_t>(s.sp_rows() * s.dim());
  const size_t acc_bytes = static_cast<size_t>(s.acc_rows() * s.dim()) * 4;
  struct Mem {
    std::vector<int8_t> c, sp;
    std::vector<uint8_t> acc;
    DataflowCounters n;
  };
  auto run = [&](MatmulProblem p, const TileSizes& t, bool step_by_step, size_t c_size) {
    Mem m;
    m.c.assign(c_size, int8_t{0x55});
    // The same garbage in both memories before each run.
    std::mt19937 fill(5);
    for (int64_t r = 0; r < s.sp_rows(); ++r)
      for (int c = 0; c < s.dim(); ++c) s.sp_row(r)[c] = static_cast<int8_t>(fill());
    for (int64_t r = 0; r < s.acc_rows(); ++r)
      for (int c = 0; c < s.dim(); ++c) s.acc_row(r)[c] = static_cast<int32_t>(fill());
    p.C = m.c.data(), p.step_by_step = step_by_step;
    tiled_matmul_model(p, t, Dataflow::kWS, cfg, &m.n);
    m.sp.assign(s.sp_row(0), s.sp_row(0) + sp_bytes);
    const auto* acc = reinterpret_cast<const uint8_t*>(s.acc_row(0));
    m.acc.assign(acc, acc + acc_bytes);
    return m;
  };
  for (int64_t I : {1, 15, 17, 200, 513, 1000})
    for (int64_t K : {1, 9, 16})
      for (bool bias : {true, false})
        for (int64_t ldc : {1, 3})
          for (const TileSizes& t : {TileSizes{1, 1, 1}, TileSizes{3, 1, 1}, TileSizes{13, 1, 1}, TileSizes{32, 1, 1}})
            for (int64_t lda : {K, int64_t{16}}) {
            auto a = random_i8(static_cast<size_t>(I * lda), rng);
            auto b = random_i8(static_cast<size_t>(K), rng);
            const int32_t bias_value = std::uniform_int_distribution<int32_t>(-30000, 30000)(rng);
            MatmulProblem p;
            p.I = I, p.J = 1, p.K = K;
            p.A = a.data(), p.lda = lda, p.B = b.data(), p.ldb = 1;
            p.bias = bias ? &bias_value : nullptr;
            p.ldc = ldc;
            p.epilogue = Epilogue{1.f / 97, bias ? Activation::kRelu6 : Activation::kNone, 100};
            const size_t c_size = static_cast<size_t>((I - 1) * ldc + 1);
            const Mem want = run(p, t, true, c_size), got = run(p, t, false, c_size);
            const std::string what = "I " + std::to_string(I) + " K " + std::to_string(K) + (bias ? " bias" : "") +
                                     " ldc " + std::to_string(ldc) + " lda " + std::to_string(lda) + " tile I " +
                                     std::to_string(t.I);
            EXPECT_EQ(got.c, want.c) << what;
            EXPECT_TRUE(got.sp == want.sp) << what << ": scratchpad";
            EXPECT_TRUE(got.acc == want.acc) << what << ": accumulator";
            EXPECT_EQ(got.n.mvin_rows, want.n.mvin_rows) << what;
            EXPECT_EQ(got.n.mvin_bytes, want.n.mvin_bytes) << what;
            EXPECT_EQ(got.n.mvout_rows, want.n.mvout_rows) << what;
            EXPECT_EQ(got.n.mvout_bytes, want.n.mvout_bytes) << what;
            EXPECT_EQ(got.n.preloads, want.n.preloads) << what;
            EXPECT_EQ(got.n.computes, want.n.computes) << what;
            EXPECT_EQ(got.n.weight_preloads, want.n.weight_preloads) << what;
            EXPECT_EQ(got.n.tiles, want.n.tiles) << what;
            if (lda > K) {  // the memories hold A's K columns, whatever lies beyond them in DRAM
              std::vector<int8_t> packed(static_cast<size_t>(I * K));
              for (int64_t i = 0; i < I; ++i)
                for (int64_t k = 0; k < K; ++k) packed[static_cast<size_t>(i * K + k)] = a[static_cast<size_t>(i * lda + k)];
              MatmulProblem q = p;
              q.A = packed.data(), q.lda = K;
              const Mem dense_a = run(q, t, false, c_size);
              EXPECT_TRUE(got.sp == dense_a.sp) << what << ": scratchpad vs A rows K apart";
              EXPECT_TRUE(got.acc == dense_a.acc) << what << ": accumulator vs A rows K apart";
              EXPECT_EQ(got.c, dense_a.c) << what;
            }
            // And both against the oracle.
            const std::vector<int8_t> dense = oracle(p);
            for (int64_t i = 0; i < I; ++i) ASSERT_EQ(got.c[static_cast<size_t>(i * ldc)], dense[static_cast<size_t>(i)]) << what;
          }
}

// core/transpose.h's row loads: `valid` bytes then zeros, whether 16 bytes are readable (a mask) or not (the
// pieces of load_upto8), and the stores of n bytes write exactly those.
TEST(SystolicDataflow, PartialRowLoadsAndStoresTouchOnlyTheirBytes) {
  int8_t src[48];
  for (int i = 0; i < 48; ++i) src[i] = static_cast<int8_t>(i * 37 - 100);
  for (int64_t valid = 1; valid <= 16; ++valid)
    for (int64_t readable : {valid, int64_t{16}, int64_t{40}}) {
      alignas(16) int8_t got[16];
      _mm_store_si128(reinterpret_cast<__m128i*>(got), load_bytes16(src + 4, valid, src + 4 + readable));
      for (int64_t i = 0; i < 16; ++i)
        EXPECT_EQ(got[i], i < valid ? src[4 + i] : 0) << "valid " << valid << " readable " << readable << " byte " << i;
      int8_t out[32];
      std::fill(out, out + 32, int8_t{0x5a});
      store_bytes16(out + 8, _mm_loadu_si128(reinterpret_cast<const __m128i*>(src)), valid);
      for (int64_t i = 0; i < 32; ++i)
        EXPECT_EQ(out[i], i >= 8 && i < 8 + valid ? src[i - 8] : int8_t{0x5a}) << "store " << valid << " byte " << i;
    }
}

// The host-side layout changes (SIMD blocks with partial edges and overlapping stores) against plain loops,
// with guard bytes around the destination: nothing outside it may be written.
TEST(SystolicDataflow, TransposeAndIm2colEqualPlainLoops) {
  std::mt19937 rng(11);
  for (auto [rows, cols, ld_src, ld_dst] : std::vector<std::array<int64_t, 4>>{
           {1, 1, 1, 1}, {9, 49, 49, 9}, {9, 200, 203, 9}, {16, 16, 16, 16}, {27, 100, 100, 27}, {40, 33, 35, 40},
           {3, 17, 17, 5}, {33, 7, 9, 33}, {24, 3136, 3136, 24}}) {
    auto src = random_i8(static_cast<size_t>((rows - 1) * ld_src + cols), rng);
    const size_t n = static_cast<size_t>((cols - 1) * ld_dst + rows);
    std::vector<int8_t> got(n + 32, int8_t{0x5a}), want = got;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) want[static_cast<size_t>(16 + c * ld_dst + r)] = src[static_cast<size_t>(r * ld_src + c)];
    transpose_i8(src.data(), ld_src, rows, cols, got.data() + 16, ld_dst);
    EXPECT_EQ(got, want) << rows << "x" << cols << " ld " << ld_src << "/" << ld_dst;
    // With the s8 -> u8 flip on the way (the oneDNN int8 convolution's source without VNNI).
    std::vector<int8_t> flipped(n + 32, int8_t{0x5a}), want_flipped = flipped;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        want_flipped[static_cast<size_t>(16 + c * ld_dst + r)] = static_cast<int8_t>(src[static_cast<size_t>(r * ld_src + c)] ^ 0x80);
    transpose_i8(src.data(), ld_src, rows, cols, flipped.data() + 16, ld_dst, 0x80);
    EXPECT_EQ(flipped, want_flipped) << rows << "x" << cols << " xor 0x80";
  }
  // C, H, W, KH, KW, SH, SW, DH, DW, PT, PL, OH from PB, OW from PR.
  struct G {
    int64_t C, H, W, KH, KW, SH, SW, DH, DW, PT, PL, PB, PR;
  };
  for (const G& g : std::vector<G>{{1, 112, 112, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},  // depthwise, K = 9
                                   {1, 112, 112, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1},  // stride 2, pad after only
                                   {1, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},      // fewer than 16 pixels a row
                                   {1, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},    // 14 a row, an even number of rows
                                   {1, 28, 28, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1},    // stride 2 to 14 x 14
                                   {3, 33, 29, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1},    // K = 27: a partial group
                                   {5, 13, 11, 3, 3, 3, 3, 1, 1, 1, 2, 0, 1},    // stride 3
                                   {1, 13, 40, 3, 3, 3, 3, 1, 1, 1, 2, 0, 1},    // stride 3, K = 9
                                   {4, 20, 21, 3, 2, 1, 1, 2, 3, 2, 3, 2, 3},    // dilations, asymmetric kernel
                                   {1, 56, 45, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},    // 45 pixels a row: 16 + 16 + 13
                                   // One channel, 3x3 (the AVX512-VBMI path where the CPU has it): planes of one
                                   // pixel and of 64+ pixels a row (loads past a 64-byte span, partial groups of 4),
                                   // no padding, asymmetric and wide padding, stride 2 in one direction only.
                                   {1, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
                                   {1, 3, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
                                   {1, 5, 100, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1},
                                   {1, 9, 63, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
                                   {1, 6, 131, 3, 3, 1, 2, 1, 1, 0, 1, 0, 0},
                                   {1, 30, 70, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0},
                                   {1, 17, 33, 3, 3, 2, 1, 1, 1, 2, 0, 1, 2},
                                   {1, 6, 20, 3, 3, 1, 1, 1, 1, 3, 3, 3, 3},
                                   {1, 9, 9, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1},      // stride 2, 5 pixels a row
                                   {12, 9, 10, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},    // 1x1, K = 12
                                   {20, 9, 10, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},    // 1x1: the transpose
                                   {20, 9, 10, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0},    // 1x1 stride 2
                                   {2, 5, 40, 5, 5, 1, 2, 1, 1, 2, 2, 2, 2}}) {
    const int64_t OH = (g.H + g.PT + g.PB - (g.KH - 1) * g.DH - 1) / g.SH + 1;
    const int64_t OW = (g.W + g.PL + g.PR - (g.KW - 1) * g.DW - 1) / g.SW + 1;
    const int64_t K = g.C * g.KH * g.KW, I = OH * OW;
    auto x = random_i8(static_cast<size_t>(g.C * g.H * g.W), rng);
    std::vector<int8_t> got(static_cast<size_t>(I * K) + 32, int8_t{0x5a}), want = got;
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow)
        for (int64_t ch = 0; ch < g.C; ++ch)
          for (int64_t r = 0; r < g.KH; ++r)
            for (int64_t q = 0; q < g.KW; ++q) {
              const int64_t ih = oh * g.SH - g.PT + r * g.DH, iw = ow * g.SW - g.PL + q * g.DW;
              const bool in = ih >= 0 && ih < g.H && iw >= 0 && iw < g.W;
              want[static_cast<size_t>(16 + (oh * OW + ow) * K + (ch * g.KH + r) * g.KW + q)] =
                  in ? x[static_cast<size_t>((ch * g.H + ih) * g.W + iw)] : int8_t{0};
            }
    im2col_i8(Im2colGeometry{g.C, g.H, g.W, g.KH, g.KW, g.SH, g.SW, g.DH, g.DW, g.PT, g.PL, OH, OW}, x.data(),
              got.data() + 16);
    EXPECT_EQ(got, want) << g.C << "x" << g.H << "x" << g.W << " kernel " << g.KH << "x" << g.KW << " stride " << g.SW;
    if (K > 16) continue;
    // Rows 16 bytes apart (the tile models' depthwise A): K columns, then zeros to the row's end.
    std::vector<int8_t> got16(static_cast<size_t>(I * 16) + 32, int8_t{0x5a}), want16 = got16;
    for (int64_t i = 0; i < I; ++i)
      for (int64_t k = 0; k < 16; ++k)
        want16[static_cast<size_t>(16 + i * 16 + k)] = k < K ? want[static_cast<size_t>(16 + i * K + k)] : int8_t{0};
    im2col_i8(Im2colGeometry{g.C, g.H, g.W, g.KH, g.KW, g.SH, g.SW, g.DH, g.DW, g.PT, g.PL, OH, OW, 16}, x.data(),
              got16.data() + 16);
    EXPECT_EQ(got16, want16) << g.C << "x" << g.H << "x" << g.W << " kernel " << g.KH << "x" << g.KW << " stride "
                             << g.SW << " lda 16";
  }
}

TEST(SystolicDataflow, TilesMustFitTheMemories) {
  const Config cfg = default_config();
  // WS double-buffers: half of 16384 spad rows, half of 1024 acc rows per tile.
  EXPECT_TRUE(tiles_fit({5, 5, 51}, Dataflow::kWS, cfg));    // (25*51 + 51*5) * 16 = 8160 rows; acc 400
  EXPECT_FALSE(tiles_fit({5, 5, 52}, Dataflow::kWS, cfg));   // 8320 > 8192
  EXPECT_FALSE(tiles_fit({6, 6, 1}, Dataflow::kWS, cfg));    // acc 576 > 512
  EXPECT_TRUE(tiles_fit({8, 8, 64}, Dataflow::kOS, cfg));    // 16384 rows, acc 1024
  EXPECT_FALSE(tiles_fit({8, 8, 65}, Dataflow::kOS, cfg));
}


// ---- the conv loop ----

struct ConvCase {
  int64_t n, cin, h, w, cout, k, stride, pad, dilation;
  int64_t pool_size, pool_stride, pool_pad;  // pool_stride 0: no fused pool
  bool bias;
  Activation act;
};

// Direct convolution (NCHW input, HWIO weights) in int64, Gemmini's scale and activation, then Gemmini's
// pooling (window positions outside the conv output count as 0).
std::vector<int8_t> conv_oracle(const ConvProblem& p) {
  const ConvDims& d = p.d;
  const int64_t oh = d.conv_out_h(), ow = d.conv_out_w();
  std::vector<int8_t> conv(static_cast<size_t>(d.batch * d.out_c * oh * ow));
  for (int64_t b = 0; b < d.batch; ++b)
    for (int64_t m = 0; m < d.out_c; ++m)
      for (int64_t y = 0; y < oh; ++y)
        for (int64_t x = 0; x < ow; ++x) {
          int64_t s = p.bias ? p.bias[m] : 0;
          for (int64_t kh = 0; kh < d.k_h; ++kh)
            for (int64_t kw = 0; kw < d.k_w; ++kw) {
              const int64_t ih = y * d.stride - d.pad + kh * d.dilation, iw = x * d.stride - d.pad + kw * d.dilation;
              if (ih < 0 || ih >= d.in_h || iw < 0 || iw >= d.in_w) continue;
              for (int64_t c = 0; c < d.in_c; ++c)
                s += int64_t{p.x[((b * d.in_c + c) * d.in_h + ih) * d.in_w + iw]} *
                     p.w[((kh * d.k_w + kw) * d.in_c + c) * d.out_c + m];
            }
          conv[static_cast<size_t>(((b * d.out_c + m) * oh + y) * ow + x)] =
              scale_and_activate(static_cast<int32_t>(s), p.epilogue);
        }
  if (!d.pooled()) return conv;
  const int64_t ph = d.pool_out_h(), pw = d.pool_out_w();
  std::vector<int8_t> out(static_cast<size_t>(d.batch * d.out_c * ph * pw));
  for (int64_t bm = 0; bm < d.batch * d.out_c; ++bm)
    for (int64_t y = 0; y < ph; ++y)
      for (int64_t x = 0; x < pw; ++x) {
        int v = kElemMin;
        for (int64_t r = 0; r < d.pool_size; ++r)
          for (int64_t q = 0; q < d.pool_size; ++q) {
            const int64_t cy = y * d.pool_stride - d.pool_pad + r, cx = x * d.pool_stride - d.pool_pad + q;
            v = std::max<int>(v, cy < 0 || cy >= oh || cx < 0 || cx >= ow ? 0 : conv[static_cast<size_t>((bm * oh + cy) * ow + cx)]);
          }
        out[static_cast<size_t>((bm * ph + y) * pw + x)] = static_cast<int8_t>(v);
      }
  return out;
}

// Runs every case on `cfg`: bits equal to the oracle; counters equal to the cycle model's walk of the same tiles.
void check_conv_loop(const std::vector<ConvCase>& cases, const Config& cfg_in, const std::string& what) {
  std::mt19937 rng(11);
  Config cfg = cfg_in;
  cfg.dataflow = Dataflow::kWS;
  for (const ConvCase& c : cases) {
    ConvProblem p;
    ConvDims& d = p.d;
    d.batch = c.n, d.in_h = c.h, d.in_w = c.w, d.in_c = c.cin, d.out_c = c.cout, d.k_h = d.k_w = c.k;
    d.stride = c.stride, d.pad = c.pad, d.dilation = c.dilation;
    d.pool_size = c.pool_size, d.pool_stride = c.pool_stride, d.pool_pad = c.pool_pad;
    d.has_bias = c.bias;
    auto x = random_i8(static_cast<size_t>(c.n * c.cin * c.h * c.w), rng);
    auto w = random_i8(static_cast<size_t>(c.k * c.k * c.cin * c.cout), rng);
    std::vector<int32_t> bias(static_cast<size_t>(c.cout));
    std::uniform_int_distribution<int32_t> bd(-20000, 20000);
    for (int32_t& v : bias) v = bd(rng);
    p.x = x.data(), p.w = w.data(), p.bias = c.bias ? bias.data() : nullptr;
    p.epilogue = Epilogue{c.k * c.k * c.cin > 50 ? 1.f / 512 : 1.f / 64, c.act, 90};
    const std::vector<int8_t> want = conv_oracle(p);
    std::vector<int8_t> got(want.size(), int8_t{0x55});
    p.y = got.data();
    const ConvTiling t = conv_loop_tiling(d, cfg);
    const std::string label = what + " " + std::to_string(c.n) + "x" + std::to_string(c.cin) + "x" + std::to_string(c.h) +
                              "x" + std::to_string(c.w) + " -> " + std::to_string(c.cout) + " k" + std::to_string(c.k) +
                              " s" + std::to_string(c.stride) + " p" + std::to_string(c.pad) + " d" +
                              std::to_string(c.dilation) + " pool " + std::to_string(c.pool_size) + "/" +
                              std::to_string(c.pool_stride) + "/" + std::to_string(c.pool_pad) + " tiles " +
                              std::to_string(t.tiles);
    ASSERT_TRUE(conv_tiles_fit(t, cfg)) << label;
    DataflowCounters n;
    tiled_conv_model(p, t, cfg, &n);
    EXPECT_EQ(got, want) << label;
    // The cycle model walks the same tiles: the same rows and bytes in (bias, input pixels inside the image,
    // weights) and out, the same tiles and mesh cycles; every row moved is at least one DMA request.
    const Cost cost = conv_cost(d, cfg);
    EXPECT_EQ(n.tiles, t.tiles) << label;
    EXPECT_EQ(n.tiles, cost.tiles) << label;
    EXPECT_EQ(n.mvin_bytes, cost.dma_in_bytes) << label;
    EXPECT_EQ(n.mvout_bytes, cost.dma_out_bytes) << label;
    EXPECT_EQ(n.compute_cycles, cost.compute_cycles) << label;
    EXPECT_EQ(n.mvin_rows, cost.dma_in_rows) << label;
    EXPECT_EQ(n.mvout_rows, cost.dma_out_rows) << label;
    EXPECT_GE(cost.dma_requests, n.mvin_rows + n.mvout_rows) << label;
    EXPECT_EQ(n.preloads, n.computes) << label;
    EXPECT_LE(n.weight_preloads, n.preloads) << label;
    // Every output byte leaves once per pixel (pooled pixels when pooling): one mvout row per pixel and
    // output-channel block of each channel tile.
    const int64_t pixels = c.n * d.pool_out_h() * d.pool_out_w();
    EXPECT_EQ(n.mvout_bytes, pixels * c.cout) << label;
    int64_t och_blocks = 0;
    for (int64_t o = 0; o < c.cout; o += t.pochs) och_blocks += cdiv(std::min(t.pochs, c.cout - o), cfg.dim);
    EXPECT_EQ(n.mvout_rows, pixels * och_blocks) << label;
    // MACs: at least the useful ones (the first-layer optimisation and padded blocks add none to the count).
    EXPECT_GE(n.computes * int64_t{cfg.dim} * cfg.dim * cfg.dim, d.macs()) << label;
  }
}

const std::vector<ConvCase>& conv_cases() {
  static const std::vector<ConvCase> cases = {
      // 1x1: stride 1, stride 2 unpadded (downsample: every other pixel), channels not multiples of 16
      {1, 19, 9, 11, 23, 1, 1, 0, 1, 0, 0, 0, true, Activation::kNone},
      {2, 40, 10, 14, 33, 1, 2, 0, 1, 0, 0, 0, false, Activation::kRelu},
      {1, 24, 9, 7, 17, 1, 2, 0, 1, 0, 0, 0, true, Activation::kNone},  // odd input: no downsample
      // 3x3: padded, stride 1 and 2, wide and many channels (several K tiles), ReLU6
      {1, 5, 13, 11, 19, 3, 2, 1, 1, 0, 0, 0, true, Activation::kRelu},
      {1, 35, 17, 23, 21, 3, 1, 1, 1, 0, 0, 0, true, Activation::kRelu6},
      {1, 200, 7, 7, 70, 3, 1, 1, 1, 0, 0, 0, false, Activation::kNone},
      {1, 8, 12, 12, 16, 3, 1, 2, 2, 0, 0, 0, true, Activation::kNone},  // dilation 2
      // 7x7 stride 2 on 3 channels (the first-layer optimisation: several kernel columns per K block), with the
      // stem's fused 3x3 stride-2 padded max pool, and without
      {1, 3, 29, 31, 20, 7, 2, 3, 1, 3, 2, 1, true, Activation::kRelu},
      {1, 3, 23, 20, 9, 7, 2, 3, 1, 0, 0, 0, false, Activation::kNone},
      // fused pools on other convs: 2x2 stride 2 unpadded, 3x3 stride 1 padded
      {2, 17, 10, 9, 18, 3, 1, 1, 1, 2, 2, 0, true, Activation::kNone},
      {1, 6, 11, 13, 5, 1, 1, 0, 1, 3, 1, 1, false, Activation::kRelu},
      {1, 2, 6, 5, 3, 5, 1, 2, 1, 0, 0, 0, true, Activation::kRelu6},  // 5x5 on 2 channels
      // Rows of 64 pixels and more (AVX-512 moves 64 pixels at a time): 1x1 on whole rows with two images, 3x3
      // padded on 130-pixel rows, the first-layer optimisation with two images (repeats across the batch)
      {2, 20, 5, 70, 37, 1, 1, 0, 1, 0, 0, 0, true, Activation::kRelu},
      {1, 17, 6, 130, 18, 3, 1, 1, 1, 0, 0, 0, false, Activation::kNone},
      {2, 3, 12, 17, 8, 3, 2, 1, 1, 0, 0, 0, true, Activation::kRelu},
  };
  return cases;
}

TEST(SystolicConvLoop, BitIdenticalToTheOracleAndCountsWhatTheCycleModelCounts) {
  check_conv_loop(conv_cases(), default_config(), "default");
}

// ResNet50 layers at full size on the default config (about 0.2 GMAC, a second): the stem (7x7 stride 2 on 3
// channels at 224, pixel repeats) with its fused 3x3 stride-2 padded max pool; 3x3 14x14 256->256 stride 2,
// tiled with 105 of 256 input channels per tile (channel tiles not multiples of 16, accumulating across
// tiles); 1x1 28x28 256->512 stride 2 (downsample).
TEST(SystolicConvLoop, ResNet50LayersAtFullSize) {
  check_conv_loop({{1, 3, 224, 224, 64, 7, 2, 3, 1, 3, 2, 1, true, Activation::kRelu},
                   {1, 256, 28, 28, 256, 3, 2, 1, 1, 0, 0, 0, true, Activation::kRelu},
                   {1, 256, 56, 56, 512, 1, 2, 0, 1, 0, 0, 0, false, Activation::kNone}},
                  default_config(), "resnet50");
}

// Small memories force many tiles: kernel-row, kernel-column and channel tiles of one output tile accumulate
// in the accumulator, output channels split; with search_tiles the cheapest of several tilings is run.
TEST(SystolicConvLoop, SmallMemoriesAndOtherArraySizes) {
  Config small = default_config();
  small.sp_bytes = 16 * 1024;
  small.acc_bytes = 8 * 1024;
  ASSERT_TRUE(validate(small).is_ok());
  check_conv_loop(conv_cases(), small, "small");
  Config search = small;
  search.search_tiles = true;
  check_conv_loop(conv_cases(), search, "search");
  for (int dim : {8, 32}) {
    Config cfg = default_config();
    cfg.dim = dim;
    cfg.sp_bytes = 64 * 1024 * dim / 8;
    cfg.acc_bytes = 16 * 1024 * dim / 8;
    ASSERT_TRUE(validate(cfg).is_ok());
    check_conv_loop(conv_cases(), cfg, "dim " + std::to_string(dim));
  }
}
}  // namespace
}  // namespace inr::systolic
