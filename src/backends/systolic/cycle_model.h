// Cycle and byte model of the emulated Gemmini, per layer, as pure functions of sizes and the Config (no
// tensor data). It walks the tiles that tiling.h chooses, in the order of gemmini.h's loops, and for each
// tile counts
//   - DMA traffic: bytes and requests per operand (one request per mvin/mvout row, at most dma_max_bytes;
//     bytes rounded up to whole dma_bytes_per_cycle beats; zero padding comes from the zero writer, no DRAM),
//   - compute: one PRELOAD+COMPUTE pair lasts max(A rows, B rows if new weights are preloaded, ws_min_rows)
//     cycles in WS and DIM cycles in OS,
// and overlaps the tiles as the hardware does:
//   - WS conv (LOOP_CONV_WS) and WS matmul (LOOP_WS): two tiles in flight, one per scratchpad/accumulator
//     half; the next tile's loads run under this tile's compute, stores of the previous one as well; the
//     conv FSM starts computing after all loads of its tile, the matmul FSM as soon as its first blocks are in;
//   - OS matmul (software loop, no double buffering): the next tile's loads wait for this tile's compute;
//   - OS conv: Gemmini has no OS conv, so the host builds the im2col matrix and runs an OS matmul.
// A DMA phase lasts max(bytes / effective bandwidth, requests * dma_request_cycles) -- bandwidth-bound for
// long rows, request-bound for short ones; the effective bandwidth of an operand depends on its tensor's
// size (Config::l2_bytes). Rows are grouped into mvin/mvout commands as the loop FSMs issue them; only
// max_in_flight_reqs / dim + 1 commands are in flight, so a short command costs (requests + latency) / that.
// Convs with the first-layer optimisation also pay the pixel repeater's scratchpad writes and a
// reservation-station false dependency (cycle_model.cc). Loads and stores share the bandwidth, so a layer
// never takes less than its total DMA time. The memory constants are a fit to FireSim (README "Gemmini cycle
// model"), not RTL facts.
#pragma once

#include <cstdint>

#include "backends/systolic/config.h"
#include "backends/systolic/tiling.h"

namespace inr::systolic {

struct Cost {
  int64_t cycles = 0;          // simulated accelerator cycles
  int64_t dma_in_bytes = 0;    // DRAM -> scratchpad/accumulator (re-loads included)
  int64_t dma_out_bytes = 0;   // accumulator -> DRAM
  int64_t macs = 0;            // useful multiply-accumulates (no padding)
  int64_t tiles = 0;           // software tiles (sp_tiled_* calls / loop instructions)
  double utilization = 0;      // macs / (DIM*DIM * cycles)
  int64_t compute_cycles = 0;  // cycles the mesh is busy (sum over PRELOAD+COMPUTE pairs)
  int64_t dma_requests = 0;    // memory requests, loads and stores
  int64_t dma_in_rows = 0;     // mvin rows (one scratchpad/accumulator row's worth of one command each)
  int64_t dma_out_rows = 0;    // mvout rows (a pooled mvout: one per pooled pixel)
  int64_t host_bytes = 0;      // bytes the host CPU writes for this layer (the im2col matrix of an OS conv)

  // Sums two layers' costs; utilization is recomputed for `c`'s array.
  void add(const Cost& other, const Config& c);
};

// Every function takes sizes >= 1 (an empty op, or any size <= 0, costs nothing: a zero Cost).

// C[I,J] = A[I,K] * B[K,J] (+ bias rows of int32 when has_bias), int8 in and out, tiled_matmul_auto, in
// the Config's dataflow.
Cost matmul_cost(int64_t I, int64_t J, int64_t K, const Config& c, bool has_bias = false);
// A convolution: WS -> Gemmini's conv loop (tiled_conv_auto + LOOP_CONV_WS, fused pooling when d.pooled());
// OS -> host im2col + OS matmul (pooling, if any, is costed as pool_cost on the conv output).
Cost conv_cost(const ConvDims& d, const Config& c);
// The tiling conv_cost uses for one group of a WS convolution (tiled_conv_auto's, or with search_tiles the
// cheapest candidate): what the functional conv loop model (dataflow.h) runs.
ConvTiling conv_loop_tiling(const ConvDims& d, const Config& c);
// A convolution as host im2col + tiled_matmul_auto in the Config's dataflow (what the Systolic EP does when
// it does not call the conv loop).
Cost conv_im2col_cost(const ConvDims& d, const Config& c);
// C = A + B over I x J int8 elements (tiled_resadd_auto: mvin A and B into the accumulator, mvout C).
Cost resadd_cost(int64_t I, int64_t J, const Config& c);
// A standalone max pool, NHWC, on Gemmini's pooled-mvout path (the Systolic EP itself pools on the host
// unless the pool is fused into the conv): per DIM-channel block and band of output rows, the input rows
// move into the accumulator and the store unit reads size^2 accumulator rows per output pixel.
struct PoolDims {
  int64_t batch = 1, in_h = 0, in_w = 0, channels = 0;
  int64_t size = 2, stride = 2, pad = 0;
  int64_t out_h() const { return (in_h + 2 * pad - size) / stride + 1; }
  int64_t out_w() const { return (in_w + 2 * pad - size) / stride + 1; }
};
Cost pool_cost(const PoolDims& p, const Config& c);
// Global average pool of an NHWC [batch, h, w, channels] tensor (tiled_global_average_auto: one one-row mvin
// per pixel and <=4-block channel chunk into the accumulator, then a scaled mvout).
Cost global_average_cost(int64_t batch, int64_t h, int64_t w, int64_t channels, const Config& c);

double utilization(int64_t macs, int64_t cycles, const Config& c);
// Simulated time at the Config's clock.
inline double simulated_seconds(int64_t cycles, const Config& c) { return static_cast<double>(cycles) / c.clock_hz; }
// {"cycles", "dma_in_bytes", "dma_out_bytes", "macs", "tiles", "utilization", "compute_cycles",
//  "dma_requests", "dma_in_rows", "dma_out_rows", "host_bytes"}: the args of a trace event or a --json report.
nlohmann::json to_json(const Cost& cost);

}  // namespace inr::systolic
