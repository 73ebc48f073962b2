// Gemmini's software tile choices (gemmini-rocc-tests include/gemmini.h, research note section 3), as
// pure functions of sizes and the Config: tiled_matmul_auto, tiled_conv_auto (tiled_conv_stride_auto),
// tiled_resadd_auto (onnxruntime-riscv's variant) and tiled_global_average_auto. The numbers reproduce the
// C code's greedy searches exactly for the default config; other configs scale its limits (half of the
// scratchpad and accumulator rows when double-buffered).
#pragma once

#include <cstdint>

#include "backends/systolic/config.h"

namespace inr::systolic {

inline int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// ---- matmul: C[I,J] = A[I,K] * B[K,J] ----
struct MatmulTiling {
  int64_t tile_I = 0, tile_J = 0, tile_K = 0;  // tile sizes in DIM x DIM blocks
  int64_t I0 = 0, J0 = 0, K0 = 0;              // number of tiles along each dimension (tiled_matmul_outer)
  int64_t spad_rows = 0, acc_rows = 0;         // rows one full tile occupies
  int64_t tiles() const { return I0 * J0 * K0; }
};
// `dataflow` decides double buffering (WS only), as in the C code.
MatmulTiling tiled_matmul_auto(int64_t dim_I, int64_t dim_J, int64_t dim_K, Dataflow dataflow, const Config& c);

// ---- convolution, NHWC input, HWIO weights ----
struct ConvDims {
  int64_t batch = 1;
  int64_t in_h = 0, in_w = 0, in_c = 0;
  int64_t out_c = 0;
  int64_t k_h = 1, k_w = 1;
  int64_t stride = 1, pad = 0, dilation = 1;  // symmetric padding, kernel dilation
  // Grouped convs (depthwise included): the cost model runs `groups` convs of in_c/groups -> out_c/groups
  // channels one after another (no depthwise FSM); tiled_conv_auto tiles one group.
  int64_t groups = 1;
  int64_t out_h = 0, out_w = 0;               // conv output (before pooling); 0 = computed from the above
  // Fused max pooling after the conv (Gemmini's pooled mvout); pool_stride 0 = no pooling.
  int64_t pool_size = 0, pool_stride = 0, pool_pad = 0;
  bool relu = false;      // activation in the mvout path (free in cycles)
  bool has_bias = false;  // bias rows loaded into the accumulator (int32)
  // 1x1 stride-2 unpadded convs load every other pixel (`downsample` in upstream and onnxruntime-riscv).
  // The branch that produced the FireSim per-layer data (gemmini-rocc-tests `dosa`) hard-codes it off.
  bool allow_downsample = true;

  int64_t conv_out_h() const { return out_h ? out_h : (in_h + 2 * pad - dilation * (k_h - 1) - 1) / stride + 1; }
  int64_t conv_out_w() const { return out_w ? out_w : (in_w + 2 * pad - dilation * (k_w - 1) - 1) / stride + 1; }
  bool pooled() const { return pool_stride != 0; }
  int64_t pool_out_h() const { return pooled() ? (conv_out_h() + 2 * pool_pad - pool_size) / pool_stride + 1 : conv_out_h(); }
  int64_t pool_out_w() const { return pooled() ? (conv_out_w() + 2 * pool_pad - pool_size) / pool_stride + 1 : conv_out_w(); }
  bool downsample() const {
    return allow_downsample && stride == 2 && k_h == 1 && k_w == 1 && pad == 0 && !pooled() && in_h % 2 == 0 &&
           in_w % 2 == 0 && dilation == 1;
  }
  int64_t macs() const { return batch * conv_out_h() * conv_out_w() * out_c * k_h * k_w * (in_c / groups); }
};

struct ConvTiling {
  // The tile loop bounds in the order of the C code's args[]: batches, porows, pocols, pochs, krows, kcols,
  // kchs (pooled output rows/cols when pooling).
  int64_t batches = 0, porows = 0, pocols = 0, pochs = 0, krows = 0, kcols = 0, kchs = 0;
  bool downsample = false;
  int64_t spad_rows = 0, acc_rows = 0;  // rows one full tile occupies
  int64_t tiles = 0;                    // number of sp_tiled_conv calls
};
ConvTiling tiled_conv_auto(const ConvDims& d, const Config& c);  // d.groups must be 1 (see ConvDims::groups)
// tiled_conv_total_spad_rows for one tile (acc=false: A+B scratchpad rows; acc=true: C accumulator rows).
int64_t conv_tile_rows(bool acc, const ConvDims& d, int64_t batches, int64_t porows, int64_t pocols,
                       int64_t pochs, int64_t krows, int64_t kcols, int64_t kchs, const Config& c);

// ---- residual add C[I,J] = A + B (onnxruntime-riscv tiled_resadd_auto: acc limit ACC_ROWS, shrink the
// larger of tile_I / tile_J by one until pad(tile_I) * blocks(tile_J) fits) ----
struct ResaddTiling {
  int64_t tile_I = 0, tile_J = 0;  // elements
  int64_t tiles = 0;
};
ResaddTiling tiled_resadd_auto(int64_t I, int64_t J, const Config& c);

// ---- global average pool over dim_h x dim_w, NHWC ----
struct GlobalAverageTiling {
  int64_t channel_tile = 0;  // channels per tile (the whole C below ACC_ROWS*DIM channels)
  int64_t tiles = 0;         // per image
};
GlobalAverageTiling tiled_global_average_auto(int64_t channels, const Config& c);

}  // namespace inr::systolic
