#include "backends/systolic/tiling.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace inr::systolic {

MatmulTiling tiled_matmul_auto(int64_t dim_I, int64_t dim_J, int64_t dim_K, Dataflow dataflow, const Config& c) {
  const int64_t dim = c.dim;
  const int64_t Ip = cdiv(dim_I, dim) * dim, Jp = cdiv(dim_J, dim) * dim, Kp = cdiv(dim_K, dim) * dim;
  const bool db = dataflow == Dataflow::kWS;  // only WS is double-buffered
  const int64_t max_spad_rows = db ? c.sp_rows() / 2 : c.sp_rows();
  const int64_t max_acc_rows = db ? c.acc_rows() / 2 : c.acc_rows();
  // The starting point uses half of those again for K (partition_rows = BANK_NUM*BANK_ROWS/2, and /2
  // once more when double-buffered), exactly as gemmini.h does.
  const int64_t mats_in_acc = max_acc_rows / dim;
  const int64_t max_tile_ij = static_cast<int64_t>(std::sqrt(static_cast<double>(mats_in_acc)));
  const int64_t max_tile_k = (max_spad_rows / 2 / dim) / max_tile_ij;

  auto spad = [&](int64_t i, int64_t j, int64_t k) { return (i * k + k * j) * dim; };
  auto acc = [&](int64_t i, int64_t j) { return i * j * dim; };

  MatmulTiling t;
  t.tile_I = std::min(Ip / dim, max_tile_ij);
  t.tile_J = std::min(Jp / dim, max_tile_ij);
  t.tile_K = std::min(Kp / dim, max_tile_k);
  for (;;) {  // greedy fill: J, then I, then K, each by at most one block per round
    bool increased = false;
    if (spad(t.tile_I, t.tile_J + 1, t.tile_K) <= max_spad_rows && acc(t.tile_I, t.tile_J + 1) <= max_acc_rows &&
        (t.tile_J + 1) * dim <= Jp) {
      ++t.tile_J;
      increased = true;
    }
    if (spad(t.tile_I + 1, t.tile_J, t.tile_K) <= max_spad_rows && acc(t.tile_I + 1, t.tile_J) <= max_acc_rows &&
        (t.tile_I + 1) * dim <= Ip) {
      ++t.tile_I;
      increased = true;
    }
    if (spad(t.tile_I, t.tile_J, t.tile_K + 1) <= max_spad_rows && (t.tile_K + 1) * dim <= Kp) {
      ++t.tile_K;
      increased = true;
    }
    if (!increased) break;
  }
  t.I0 = cdiv(Ip, t.tile_I * dim);
  t.J0 = cdiv(Jp, t.tile_J * dim);
  t.K0 = cdiv(Kp, t.tile_K * dim);
  t.spad_rows = spad(t.tile_I, t.tile_J, t.tile_K);
  t.acc_rows = acc(t.tile_I, t.tile_J);
  return t;
}

int64_t conv_tile_rows(bool acc, const ConvDims& d, int64_t batches, int64_t porows, int64_t pocols, int64_t pochs,
                       int64_t krows, int64_t kcols, int64_t kchs, const Config& c) {
  const int64_t pool_size = d.pooled() ? d.pool_size : 1, pool_stride = d.pooled() ? d.pool_stride : 1;
  const int64_t orows = porows * pool_stride + pool_size - 1;
  const int64_t ocols = pocols * pool_stride + pool_size - 1;
  const int64_t krows_dilated = krows + (d.dilation - 1) * (krows - 1);
  const int64_t kcols_dilated = kcols + (d.dilation - 1) * (kcols - 1);
  const int64_t irows = orows * d.stride + krows_dilated - 1;
  const int64_t icols = ocols * d.stride + kcols_dilated - 1;
  const int ds = d.downsample() ? 1 : 0;
  const int64_t A = cdiv(kchs, c.dim) * batches * (irows >> ds) * (icols >> ds);
  const int64_t B = cdiv(pochs, c.dim) * kcols * krows * kchs;
  const int64_t C = cdiv(pochs, c.dim) * batches * orows * ocols;
  return acc ? C : A + B;
}

ConvTiling tiled_conv_auto(const ConvDims& d, const Config& c) {
  enum { kB, kPorows, kPocols, kPochs, kKrows, kKcols, kKchs };
  const std::array<int64_t, 7> max_args = {d.batch, d.pool_out_h(), d.pool_out_w(), d.out_c, d.k_h, d.k_w, d.in_c};
  std::array<int64_t, 7> args = max_args;
  const int64_t max_spad_rows = c.sp_rows() / 2, max_acc_rows = c.acc_rows() / 2;  // always double-buffered
  auto fits = [&](const std::array<int64_t, 7>& a) {
    return conv_tile_rows(false, d, a[0], a[1], a[2], a[3], a[4], a[5], a[6], c) <= max_spad_rows &&
           conv_tile_rows(true, d, a[0], a[1], a[2], a[3], a[4], a[5], a[6], c) <= max_acc_rows;
  };
  // Shrink the largest argument until the tile fits (first index on ties), keeping ocols when it is at
  // most DIM and more than one output row is left (to keep the array's rows busy).
  while (!fits(args)) {
    int64_t max_val = -1;
    int max_idx = -1;
    for (int i = 0; i < 7; ++i) {
      if (!(i == kPocols && args[i] <= c.dim && args[kPorows] > 1) && args[i] > max_val) {
        max_val = args[i];
        max_idx = i;
      }
    }
    if (max_idx == kPochs || max_idx == kKchs) {  // channels shrink by whole DIM blocks
      args[max_idx] = args[max_idx] % c.dim != 0 ? (args[max_idx] / c.dim) * c.dim : args[max_idx] - c.dim;
      if (args[max_idx] == 0) args[max_idx] = 1;
    } else {
      --args[max_idx];
    }
  }
  // Grow ocols first, then every argument by one per round while it fits.
  for (;;) {
    auto cand = args;
    ++cand[kPocols];
    if (cand[kPocols] > max_args[kPocols] || !fits(cand)) break;
    args = cand;
  }
  for (bool grew = true; grew;) {
    grew = false;
    for (int i = 0; i < 7; ++i) {
      auto cand = args;
      ++cand[i];
      if (cand[i] > max_args[i] || !fits(cand)) continue;
      args = cand;
      grew = true;
    }
  }
  ConvTiling t;
  t.batches = args[kB];
  t.porows = args[kPorows];
  t.pocols = args[kPocols];
  t.pochs = args[kPochs];
  t.krows = args[kKrows];
  t.kcols = args[kKcols];
  t.kchs = args[kKchs];
  t.downsample = d.downsample();
  t.spad_rows = conv_tile_rows(false, d, t.batches, t.porows, t.pocols, t.pochs, t.krows, t.kcols, t.kchs, c);
  t.acc_rows = conv_tile_rows(true, d, t.batches, t.porows, t.pocols, t.pochs, t.krows, t.kcols, t.kchs, c);
  t.tiles = cdiv(d.batch, t.batches) * cdiv(d.pool_out_h(), t.porows) * cdiv(d.pool_out_w(), t.pocols) *
            cdiv(d.out_c, t.pochs) * cdiv(d.k_h, t.krows) * cdiv(d.k_w, t.kcols) * cdiv(d.in_c, t.kchs);
  return t;
}

ResaddTiling tiled_resadd_auto(int64_t I, int64_t J, const Config& c) {
  ResaddTiling t{I, J, 0};
  auto rows = [&] { return cdiv(t.tile_I, c.dim) * c.dim * cdiv(t.tile_J, c.dim); };
  while (rows() > c.acc_rows()) {
    if (t.tile_I >= t.tile_J)
      --t.tile_I;
    else
      --t.tile_J;
  }
  t.tiles = cdiv(I, t.tile_I) * cdiv(J, t.tile_J);
  return t;
}

GlobalAverageTiling tiled_global_average_auto(int64_t channels, const Config& c) {
  GlobalAverageTiling t{channels, 0};
  if (cdiv(t.channel_tile, c.dim) > c.acc_rows()) t.channel_tile = c.acc_rows() * c.dim;  // the C loop's end point
  t.tiles = cdiv(channels, t.channel_tile);
  return t;
}

}  // namespace inr::systolic
