// Functional tile-level models of Gemmini's two dataflows, and the CPU mode they must equal bit for bit.
//
// One problem: C[I, J] = act(scale * (bias[j] + sum_k A[i, k] * B[k, j])) in Gemmini arithmetic (arith.h),
// A and B int8 row-major in "DRAM", bias int32 per column (repeating bias, as the Systolic EP's convs and
// matmuls use it), C int8.
//
// The models move data the way gemmini.h's tiled_matmul_outer + sp_tiled_matmul_{ws,os} do
// (../shared/research/gemmini.md section 3.2-3.4), on an emulated scratchpad (rows of DIM int8) and
// accumulator (rows of DIM int32):
//  - WS (LOOP_WS): the scratchpad is split in two halves used by alternate tiles (double buffering): A from
//    the half's first row upward at (i*K + k)*DIM, B ending at the half's end at (k*J + j)*DIM; the
//    accumulator halves alternate likewise (C at (i*J + j)*DIM). mvin of the bias (D) rows into the
//    accumulator (overwrite), mvin A and B (up to MAX_BLOCK_LEN blocks per row), then for k, j, i:
//    preload (new weights B(k, j) into the PEs when i == 0) + compute (A(i, k) streams through, the
//    column sums go to C(i, j), accumulating unless it is the first k of a bias-less tile), and mvout of
//    C through the accumulator scaler after the last K tile.
//  - OS: whole scratchpad, A from row 0, B ending at the last row, D/C from accumulator row 0; for i, j,
//    k: preload (C address on the last k) + compute (A(i, k), B(k, j)) accumulating in the PEs; the PE
//    sums move to the accumulator (added to the bias rows, or overwriting) on the last k.
// Each (preload, compute) pair is done with a vectorised DIM x DIM x DIM integer kernel, not one PE at a
// time; for DIM 16 the weights are prepared once per preload in the layout of the CPU tier's kernel
// (vpdpbusd on VNNI tiers, vpmaddwd on AVX2, a portable loop on baseline). Padding (dims not a multiple of
// DIM) is zero-filled in the scratchpad, which gives the same sums as the hardware's pad arguments;
// accumulator columns beyond J are never moved out, so what they hold does not matter.
//
// Exactness: integer sums of int8 products in int32 (wrapping, as the accumulator SRAM adds) are
// associative, so every order of the K loop gives the same bits. (The RTL's OS partial sums are 20-bit,
// research note 5.4: wrapping there needs |sum| >= 2^19, i.e. K >= 32 products at the int8 extremes; the
// model keeps 32 bits, as Spike's functional model does.)
#pragma once

#include <cstdint>
#include <vector>

#include "backends/systolic/arith.h"
#include "backends/systolic/config.h"
#include "backends/systolic/tiling.h"
#include "core/transpose.h"

namespace inr::systolic {

struct MatmulProblem {
  int64_t I = 0, J = 0, K = 0;
  const int8_t* A = nullptr;  // [I, K], row stride lda
  int64_t lda = 0;
  const int8_t* B = nullptr;  // [K, J], row stride ldb
  int64_t ldb = 0;
  const int32_t* bias = nullptr;  // [J] repeated over rows, or null
  int8_t* C = nullptr;            // [I, J], row stride ldc
  int64_t ldc = 0;
  Epilogue epilogue;
  // The models run some steps of a tile as one pass where that leaves the same memories, outputs and counters
  // (WS, DIM 16: a one-column tile's bias mvin, computes and mvout). true: every step in turn (the tests' oracle
  // for those passes).
  bool step_by_step = false;
};

// Tile sizes in DIM x DIM blocks (tiled_matmul_auto's tile_I, tile_J, tile_K).
struct TileSizes {
  int64_t I = 1, J = 1, K = 1;
};

// What the model did, in Gemmini instructions and bytes (DRAM side, int8 A/B/C, int32 D).
struct DataflowCounters {
  int64_t tiles = 0;
  int64_t mvin_rows = 0, mvin_bytes = 0;    // A, B and D rows moved in (one mvin row = up to MAX_BLOCK_LEN blocks)
  int64_t mvout_rows = 0, mvout_bytes = 0;
  int64_t preloads = 0, computes = 0;      // preload + compute pairs
  int64_t weight_preloads = 0;             // pairs that loaded new weights into the PEs (WS)
  // Mesh cycles of those pairs as the cycle model counts them (cycle_model.h): WS max(A rows, new weights ?
  // B rows : 0, ws_min_rows) per pair. Filled by the conv loop model only (0 elsewhere).
  int64_t compute_cycles = 0;
  void add(const DataflowCounters& o);
};

// The emulated memories; one per thread that runs a model (sized from the Config).
class Scratch {
 public:
  explicit Scratch(const Config& c);
  int dim() const { return dim_; }
  int8_t* sp_row(int64_t row) { return sp_ + row * dim_; }
  int32_t* acc_row(int64_t row) { return acc_ + row * dim_; }
  int64_t sp_rows() const { return sp_rows_; }
  int64_t acc_rows() const { return acc_rows_; }
  int max_block_len() const { return max_block_len_; }

 private:
  int dim_;
  int64_t sp_rows_, acc_rows_;
  int max_block_len_;
  // Both memories start on a 64-byte boundary, so a DIM 16 accumulator row is one cache line (a 64-byte load
  // or store of it does not straddle two).
  std::vector<int8_t> sp_mem_;
  std::vector<int32_t> acc_mem_;
  int8_t* sp_ = nullptr;
  int32_t* acc_ = nullptr;
};

// The calling thread's emulated memories for configs of c's sizes (what the models below run on; the tests read
// them after a run).
Scratch& thread_scratch(const Config& c);

// Whether tiles of `t` blocks fit the config's memories for this dataflow (WS: half the scratchpad and
// half the accumulator per tile; OS: all of them). The models require it.
bool tiles_fit(const TileSizes& t, Dataflow d, const Config& c);

// Runs the problem on the tile-level model of `dataflow` with tiles `t` (which must fit). Output tiles
// (i0, j0) are independent, so they run on OpenMP threads, each with its own Scratch: the bits and the
// counters are those of the sequential instruction stream.
void tiled_matmul_model(const MatmulProblem& p, const TileSizes& t, Dataflow dataflow, const Config& c,
                        DataflowCounters* counters);

// ---- Gemmini's native conv loop (tiled_conv + sp_tiled_conv = one LOOP_CONV_WS per tile; WS only) ----
//
// One convolution of one group, read straight from the NCHW input tensor (no host im2col): per tile of
// tiled_conv's loop (batch, pooled output rows, pooled output columns, output channels, kernel rows, kernel
// columns, input channels; research note 3.6), on scratchpad half `tile & 1` and accumulator half `output tile
// & 1`:
//   LdBias   (first kernel/channel tile of an output tile) the bias, repeated per output pixel, into the
//            accumulator rows C(och block, b, orow, ocol) (zeros without a bias: the zero writer, no DRAM);
//   LdInput  one scratchpad row per input pixel of the tile's window and DIM-channel block, at
//            A(ich block, b, irow, icol) = half start + ((ich block * batches + b) * irows + irow) * icols + icol,
//            gathered from the NCHW tensor (up to MAX_BLOCK_LEN blocks per mvin row); window pixels in the conv
//            padding are written as zeros on chip (no DRAM); a 1x1 stride-2 conv loads every other pixel
//            (downsample); with the first-layer optimisation (few channels: max_pixels_per_row > 1) each pixel
//            is also written into the rows of the pixels before it, shifted by kchs bytes per pixel, as the
//            pixel repeater does, so one row holds several kernel columns;
//   LdWeight the HWIO weights, one scratchpad row per (kernel row, kernel column, input channel) and DIM
//            output channels, ending at the half's end;
//   Ex       for och block, krow, kcol (step max_pixels_per_row), ich block: preload the weights (their rows
//            beyond this K block zeroed), then for b, orow, ocol (DIM pixels): compute, the A rows stride
//            apart in the scratchpad, accumulating in the accumulator;
//   St       (last kernel/channel tile) mvout through the scaler and activation into the NCHW output, or with
//            a fused max pool, the pooled mvout: the max over each window of the scaled outputs, window
//            positions outside the conv output counting as 0.
// The tile loop and every count (rows and bytes moved, tiles, pairs, mesh cycles) follow the cycle model's
// conv_cost walk (cycle_model.cc) for the same tiling, so the two agree. Output tiles run on OpenMP threads
// (the kernel/channel tiles of one output tile in order on one thread), each with its own Scratch.
struct ConvProblem {
  ConvDims d;                     // one group (d.groups == 1), with the fused pool if any; d.has_bias == !!bias
  const int8_t* x = nullptr;      // NCHW [batch, in_c, in_h, in_w]
  const int8_t* w = nullptr;      // HWIO [k_h, k_w, in_c, out_c]
  const int32_t* bias = nullptr;  // [out_c] or null
  int8_t* y = nullptr;            // NCHW [batch, out_c, pool_out_h, pool_out_w]
  Epilogue epilogue;
};
// Whether every tile of `t` fits half of the scratchpad and half of the accumulator (the model requires it).
bool conv_tiles_fit(const ConvTiling& t, const Config& c);
void tiled_conv_model(const ConvProblem& p, const ConvTiling& t, const Config& c, DataflowCounters* counters);

// The CPU mode (-x 0): the same arithmetic with no tiles (int16-widened operands, inr's blocked integer
// GEMM). `b_t16` is B transposed and widened ([J, K] int16), prepared once per weight tensor.
void matmul_cpu(const MatmulProblem& p, const int16_t* b_t16);
std::vector<int16_t> transpose_widen(const int8_t* b, int64_t K, int64_t J, int64_t ldb);

// (The host side's layout changes around the tile models, im2col and [pixels, channels] -> NCHW, use
// core/transpose.h's transpose_i8.)

// The host's im2col for a convolution group: x is [C, H, W] int8, a becomes [OH * OW, K] (K = C * KH * KW,
// index (channel, kernel row, kernel column)), one row per output pixel, padding 0 (the zero point is 0).
// LDA: the row stride of a (0: K). With K <= 16 <= LDA every row is written whole, 16 bytes: K columns and
// zeros (the tile models' A for a depthwise conv, K = 9, uses 16: aligned rows, no partial stores).
struct Im2colGeometry {
  int64_t C, H, W, KH, KW, SH, SW, DH, DW, PT, PL, OH, OW;
  int64_t LDA = 0;
};
void im2col_i8(const Im2colGeometry& g, const int8_t* x, int8_t* a);

}  // namespace inr::systolic
