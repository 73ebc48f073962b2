// The OS and WS tile models and the CPU mode (backends/systolic/dataflow.h) against a plain int64 oracle,
// bit for bit, on random matmuls of odd sizes with several tile sizes, and what their counters must say.
#include <random>

#include <gtest/gtest.h>

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

TEST(SystolicDataflow, TilesMustFitTheMemories) {
  const Config cfg = default_config();
  // WS double-buffers: half of 16384 spad rows, half of 1024 acc rows per tile.
  EXPECT_TRUE(tiles_fit({5, 5, 51}, Dataflow::kWS, cfg));    // (25*51 + 51*5) * 16 = 8160 rows; acc 400
  EXPECT_FALSE(tiles_fit({5, 5, 52}, Dataflow::kWS, cfg));   // 8320 > 8192
  EXPECT_FALSE(tiles_fit({6, 6, 1}, Dataflow::kWS, cfg));    // acc 576 > 512
  EXPECT_TRUE(tiles_fit({8, 8, 64}, Dataflow::kOS, cfg));    // 16384 rows, acc 1024
  EXPECT_FALSE(tiles_fit({8, 8, 65}, Dataflow::kOS, cfg));
}

}  // namespace
}  // namespace inr::systolic
