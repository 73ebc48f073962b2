#include "backends/systolic/cycle_model.h"

#include <algorithm>
#include <cmath>
#include <list>
#include <unordered_map>
#include <vector>

namespace inr::systolic {
namespace {

// The shared L2 the DMA reads through: fully associative, LRU, 64-byte lines, capacity Config::l2_bytes.
class L2 {
 public:
  explicit L2(int64_t bytes, int64_t page_bytes)
      : capacity_(static_cast<size_t>(std::max<int64_t>(0, bytes / kLine))),
        lines_per_page_(static_cast<uint64_t>(std::max<int64_t>(1, page_bytes / kLine))) {}
  static constexpr int64_t kLine = 64;
  // A miss in the same DRAM page as the previous miss (a row-buffer hit).
  bool same_page(uint64_t line) {
    const bool same = line / lines_per_page_ == last_page_;
    last_page_ = line / lines_per_page_;
    return same;
  }
  // Touches one line; true when it was resident.
  bool touch(uint64_t line) {
    if (capacity_ == 0) return false;
    auto it = where_.find(line);
    if (it != where_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      return true;
    }
    lru_.push_front(line);
    where_[line] = lru_.begin();
    if (lru_.size() > capacity_) {
      where_.erase(lru_.back());
      lru_.pop_back();
    }
    return false;
  }

 private:
  size_t capacity_;
  uint64_t lines_per_page_, last_page_ = ~uint64_t{0};
  std::list<uint64_t> lru_;
  std::unordered_map<uint64_t, std::list<uint64_t>::iterator> where_;
};

bool same_tiling(const MatmulTiling& a, const MatmulTiling& b) {
  return a.tile_I == b.tile_I && a.tile_J == b.tile_J && a.tile_K == b.tile_K;
}
bool same_tiling(const ConvTiling& a, const ConvTiling& b) {
  return a.batches == b.batches && a.porows == b.porows && a.pocols == b.pocols && a.pochs == b.pochs &&
         a.krows == b.krows && a.kcols == b.kcols && a.kchs == b.kchs;
}

// Tensors live at distinct addresses (their layouts are dense, row-major / NHWC / HWIO).
constexpr uint64_t kInBase = 0, kWeightBase = uint64_t{1} << 40, kOutBase = uint64_t{2} << 40,
                   kBiasBase = uint64_t{3} << 40, kIn2Base = uint64_t{4} << 40;

// Commands the load (and the store) controller keeps in flight: its DMACommandTracker has
// max_in_flight_mem_reqs / DIM + 1 entries (gemmini LoadController.scala / StoreController.scala, `nCmds`), and
// a command's entry is freed only when all of its rows have come back.
double commands_in_flight(const Config& c) { return static_cast<double>(c.max_in_flight_reqs / c.dim + 1); }

// DMA traffic of one phase (some tile's loads, or its stores).
struct Traffic {
  double bw_time = 0;  // cycles the memory system needs for the bytes (misses at DRAM, hits at L2 bandwidth)
  int64_t bytes_in = 0, bytes_out = 0;
  int64_t req_in = 0, req_out = 0;
  int64_t rows_in = 0, rows_out = 0;
  // Request-slot time of the closed mvin (in) / mvout (out) commands, and the requests of the open ones.
  double slot_in = 0, slot_out = 0;
  int64_t open_in = 0, open_out = 0;
  // Cycles of a one-row-per-cycle unit behind the DMA (the scratchpad writes of the pixel repeater).
  double unit_time = 0;

  // One mvin/mvout row: `n` contiguous bytes at `addr`. A request covers at most one 64-byte line.
  void row(bool in, uint64_t addr, int64_t n, L2& l2, const Config& c) {
    if (n <= 0) return;
    const uint64_t first = addr / L2::kLine, last = (addr + static_cast<uint64_t>(n) - 1) / L2::kLine;
    for (uint64_t line = first; line <= last; ++line) {
      const uint64_t lo = std::max(addr, line * L2::kLine);
      const uint64_t hi = std::min(addr + static_cast<uint64_t>(n), (line + 1) * L2::kLine);
      const double beats = static_cast<double>(cdiv(static_cast<int64_t>(hi - lo), c.dma_bytes_per_cycle) *
                                               c.dma_bytes_per_cycle);
      const bool hit = l2.touch(line);
      if (in && hit)
        bw_time += beats / c.l2_bytes_per_cycle;
      else if (in)
        bw_time += static_cast<double>(L2::kLine) / c.dram_bytes_per_cycle + (l2.same_page(line) ? 0 : c.dram_page_miss_cycles);
      else  // written back to DRAM eventually; the line stays in the L2
        bw_time += beats / c.dram_bytes_per_cycle;
    }
    const int64_t reqs = static_cast<int64_t>(last - first + 1);
    (in ? bytes_in : bytes_out) += n;
    (in ? req_in : req_out) += reqs;
    (in ? open_in : open_out) += reqs;
    ++(in ? rows_in : rows_out);
  }
  // Closes one mvin/mvout command (<= DIM rows) made of the rows since the last close. At full occupancy a
  // request costs dma_request_cycles (= memory latency / max_in_flight_reqs). A command holds its tracker
  // entry from its first row to its last response (its requests plus the latency, plus `drain` cycles of
  // scratchpad writes), and only commands_in_flight() commands are in flight: a short command cannot fill
  // the request slots, and costs (requests + latency + drain) / commands_in_flight instead.
  void end_command(bool in, const Config& c, double drain = 0) {
    int64_t& open = in ? open_in : open_out;
    if (open == 0) return;
    const double reqs = static_cast<double>(open), latency = c.dma_request_cycles * c.max_in_flight_reqs;
    (in ? slot_in : slot_out) += std::max(reqs * c.dma_request_cycles, (reqs + latency + drain) / commands_in_flight(c));
    open = 0;
  }
  double time(const Config& c) const {
    const double in = slot_in + static_cast<double>(open_in) * c.dma_request_cycles;
    const double out = slot_out + static_cast<double>(open_out) * c.dma_request_cycles;
    return std::max({bw_time, in, out, unit_time});
  }
  Traffic& operator+=(const Traffic& o) {
    bw_time += o.bw_time;
    bytes_in += o.bytes_in;
    bytes_out += o.bytes_out;
    req_in += o.req_in;
    req_out += o.req_out;
    rows_in += o.rows_in;
    rows_out += o.rows_out;
    slot_in += o.slot_in;
    slot_out += o.slot_out;
    open_in += o.open_in;
    open_out += o.open_out;
    unit_time += o.unit_time;
    return *this;
  }
};

// A tensor the host just wrote (the previous layer's output) is in the L2 up to its capacity.
void warm(L2& l2, uint64_t base, int64_t bytes) {
  for (int64_t off = 0; off < bytes; off += L2::kLine) l2.touch((base + static_cast<uint64_t>(off)) / L2::kLine);
}

struct TileWork {
  Traffic load, store;
  double compute = 0;     // mesh cycles
  double first_frac = 1;  // share of the loads before the first pair can start
  double last_frac = 1;   // share of the compute that follows the last load
  // The tile's loads wait for the previous tile's compute (a false dependency in the reservation station).
  bool loads_after_prev_compute = false;
};

enum class Overlap {
  kConv,      // LOOP_CONV_WS: compute after all of the tile's loads; two tiles in flight
  kMatmulWS,  // LOOP_WS: compute streams behind the loads; two tiles in flight
  kSerial,    // software OS loop: the next tile's loads overwrite this tile's operands
};

// Runs the tiles through load -> compute -> store units and returns the cycles of the whole layer.
double pipeline(const std::vector<TileWork>& tiles, Overlap mode, const Config& c, Cost& cost) {
  const double out_latency = 2.0 * c.dim + c.spad_read_delay + c.acc_latency;  // last result into the acc
  const size_t n = tiles.size();
  std::vector<double> end_l(n), end_c(n), end_s(n);
  Traffic all;
  double compute = 0;
  for (size_t i = 0; i < n; ++i) {
    const TileWork& t = tiles[i];
    const double ld = t.load.time(c), st = t.store.time(c);
    const double prev_l = i >= 1 ? end_l[i - 1] : 0, prev_c = i >= 1 ? end_c[i - 1] : 0;
    const double prev_s = i >= 1 ? end_s[i - 1] : 0;
    const double prev2_c = i >= 2 ? end_c[i - 2] : 0, prev2_s = i >= 2 ? end_s[i - 2] : 0;
    // A tile's loads go into the half the tile before last used (its compute must be done), or, without
    // double buffering, into the operands the previous tile is still reading.
    const double start_l =
        std::max(prev_l, mode == Overlap::kSerial || t.loads_after_prev_compute ? prev_c : prev2_c);
    end_l[i] = start_l + ld;
    double start_c, min_end_c;
    if (mode == Overlap::kConv) {
      start_c = std::max({end_l[i], prev_c, prev2_s});
      min_end_c = 0;
    } else {
      start_c = std::max({start_l + ld * t.first_frac, prev_c, mode == Overlap::kSerial ? prev_s : prev2_s});
      min_end_c = end_l[i] + t.compute * t.last_frac;
    }
    end_c[i] = std::max(start_c + t.compute, min_end_c);
    const bool stores = t.store.req_out > 0;
    end_s[i] = stores ? std::max(end_c[i] + out_latency, prev_s) + st : std::max(end_c[i], prev_s);
    all += t.load;
    all += t.store;
    compute += t.compute;
  }
  const double total = n ? std::max(end_s[n - 1], end_c[n - 1] + out_latency) : 0;
  // Loads and stores share the memory system: never faster than all the traffic back to back.
  const double cycles = std::max(total, all.time(c) + out_latency);
  cost.dma_in_bytes += all.bytes_in;
  cost.dma_out_bytes += all.bytes_out;
  cost.dma_requests += all.req_in + all.req_out;
  cost.dma_in_rows += all.rows_in;
  cost.dma_out_rows += all.rows_out;
  cost.compute_cycles += static_cast<int64_t>(compute);
  cost.tiles += static_cast<int64_t>(n);
  return cycles;
}

// Mesh cycles of the PRELOAD+COMPUTE pairs of one matmul tile of nI x nJ x nK blocks, where the last I
// block has rows_last real rows and the last K block k_last real rows (WS: B rows count when weights are
// preloaded, at i == 0).
double matmul_tile_compute(int64_t nI, int64_t nJ, int64_t nK, int64_t rows_last, int64_t k_last, Dataflow df,
                           const Config& c) {
  const int64_t dim = c.dim, floor_rows = c.ws_min_rows;
  if (df == Dataflow::kOS) return static_cast<double>(nI * nJ * nK * dim);
  // Pair (i, j, k) lasts max(rows_i, 4), and the i == 0 pair, which preloads B(k, j), max(rows_0, k_rows, 4).
  const int64_t rows_0 = nI > 1 ? dim : rows_last;
  const int64_t rest = nI > 1 ? (nI - 2) * dim + std::max(rows_last, floor_rows) : 0;
  int64_t total = 0;
  for (int64_t k = 0; k < nK; ++k) {
    const int64_t k_rows = k == nK - 1 ? k_last : dim;
    total += nJ * (std::max({rows_0, k_rows, floor_rows}) + rest);
  }
  return static_cast<double>(total);
}

Cost finish(Cost cost, double cycles, int64_t macs, const Config& c) {
  cost.cycles = static_cast<int64_t>(std::ceil(cycles));
  cost.macs = macs;
  cost.utilization = utilization(macs, cost.cycles, c);
  return cost;
}

// The scratchpad/accumulator budgets Config::search_tiles tries: every power-of-two fraction of both, down
// to fixed floors, so that the candidates of a bigger memory include those of a smaller one.
std::vector<Config> budgets(const Config& c) {
  if (!c.search_tiles) return {c};
  const int64_t sp_floor = int64_t{64} * c.dim * c.dim, acc_floor = int64_t{16} * c.dim * c.dim;
  std::vector<Config> out;
  for (int64_t sp = c.sp_bytes; sp >= sp_floor; sp /= 2) {
    for (int64_t acc = c.acc_bytes; acc >= acc_floor; acc /= 2) {
      Config b = c;
      b.sp_bytes = sp;
      b.acc_bytes = acc;
      if (validate(b).is_ok()) out.push_back(b);
      if (acc % 2) break;
    }
    if (sp % 2) break;
  }
  if (out.empty()) out.push_back(c);
  return out;
}

// The cheapest of `eval(tiling)` over the distinct tilings the budgets give (and that tiling in `chosen`).
template <typename Tiling, typename Choose, typename Eval>
Cost cheapest(const Config& c, Choose choose, Eval eval, Tiling* chosen = nullptr) {
  std::vector<Tiling> seen;
  Cost best;
  bool have = false;
  for (const Config& b : budgets(c)) {
    const Tiling t = choose(b);
    bool dup = false;
    for (const Tiling& s : seen) dup = dup || same_tiling(s, t);
    if (dup) continue;
    seen.push_back(t);
    Cost cost = eval(t);
    if (!have || cost.cycles < best.cycles) {
      best = cost;
      if (chosen) *chosen = t;
    }
    have = true;
  }
  return best;
}

Cost matmul_cost_tiled(int64_t I, int64_t J, int64_t K, const Config& c, bool has_bias, Dataflow df,
                       const MatmulTiling& t) {
  const int64_t dim = c.dim;
  const int64_t max_cols = c.dma_max_bytes;  // int8 columns per mvin row
  L2 l2(c.l2_bytes, c.dram_page_bytes);
  warm(l2, kInBase, I * K);
  std::vector<TileWork> tiles;
  tiles.reserve(static_cast<size_t>(t.tiles()));
  for (int64_t i0 = 0; i0 < t.I0; ++i0) {
    const int64_t rows = std::min(t.tile_I * dim, I - i0 * t.tile_I * dim);  // real rows of this tile
    const int64_t nI = cdiv(rows, dim);
    for (int64_t j0 = 0; j0 < t.J0; ++j0) {
      const int64_t cols = std::min(t.tile_J * dim, J - j0 * t.tile_J * dim);
      const int64_t nJ = cdiv(cols, dim);
      for (int64_t k0 = 0; k0 < t.K0; ++k0) {
        const int64_t ks = std::min(t.tile_K * dim, K - k0 * t.tile_K * dim);
        const int64_t nK = cdiv(ks, dim);
        TileWork w;
        // A: per row, chunks of <= 4 blocks; B: per K row, chunks of <= 4 blocks of J.
        const int64_t row0 = i0 * t.tile_I * dim, col0 = j0 * t.tile_J * dim, kk0 = k0 * t.tile_K * dim;
        // Each mvin/mvout command moves one block of <= DIM rows (LoopMatmul.scala).
        if (has_bias && k0 == 0)  // int32 bias rows (repeated), one block (64 B) per request
          for (int64_t i0 = 0; i0 < rows; i0 += dim)
            for (int64_t j = 0; j < cols; j += dim) {
              for (int64_t i = i0; i < std::min(rows, i0 + dim); ++i)
                w.load.row(true, kBiasBase + static_cast<uint64_t>(4 * (col0 + j)), 4 * std::min(dim, cols - j), l2, c);
              w.load.end_command(true, c);
            }
        for (int64_t k = 0; k < ks; k += max_cols)  // LdA: for k (<= 4 blocks): for i (block of rows)
          for (int64_t i0 = 0; i0 < rows; i0 += dim) {
            for (int64_t i = i0; i < std::min(rows, i0 + dim); ++i)
              w.load.row(true, kInBase + static_cast<uint64_t>((row0 + i) * K + kk0 + k), std::min(max_cols, ks - k), l2, c);
            w.load.end_command(true, c);
          }
        for (int64_t k0b = 0; k0b < ks; k0b += dim)  // LdB: for k (block of rows): for j (<= 4 blocks)
          for (int64_t j = 0; j < cols; j += max_cols) {
            for (int64_t k = k0b; k < std::min(ks, k0b + dim); ++k)
              w.load.row(true, kWeightBase + static_cast<uint64_t>((kk0 + k) * J + col0 + j), std::min(max_cols, cols - j), l2, c);
            w.load.end_command(true, c);
          }
        if (k0 == t.K0 - 1)
          for (int64_t j = 0; j < cols; j += max_cols)
            for (int64_t i0 = 0; i0 < rows; i0 += dim) {
              for (int64_t i = i0; i < std::min(rows, i0 + dim); ++i)
                w.store.row(false, kOutBase + static_cast<uint64_t>((row0 + i) * J + col0 + j), std::min(max_cols, cols - j), l2, c);
              w.store.end_command(false, c);
            }
        const int64_t rows_last = rows - (nI - 1) * dim, k_last = ks - (nK - 1) * dim;
        w.compute = matmul_tile_compute(nI, nJ, nK, rows_last, k_last, df, c);
        if (df == Dataflow::kWS) {
          // LdA/LdB and Ex all walk K in the same order: they meet one <= 4-block group apart.
          w.first_frac = w.last_frac = 1.0 / static_cast<double>(cdiv(nK, c.max_block_len()));
        } else {
          // The software loop moves in all of B, then A row block by row block; computing starts with the
          // first A row block.
          const double b_share = static_cast<double>(ks * cols) / static_cast<double>(ks * cols + rows * ks);
          w.first_frac = b_share + (1 - b_share) / static_cast<double>(nI);
          w.last_frac = 1.0 / static_cast<double>(nI);  // the last A row block's pairs
        }
        tiles.push_back(std::move(w));
      }
    }
  }
  Cost cost;
  const double cycles = pipeline(tiles, df == Dataflow::kWS ? Overlap::kMatmulWS : Overlap::kSerial, c, cost);
  return finish(cost, cycles, I * J * K, c);
}

// One group of a convolution on the WS conv loop.
Cost conv_ws_cost_tiled(const ConvDims& d, const Config& c, const ConvTiling& t) {
  const int64_t dim = c.dim;
  const bool pooled = d.pooled();
  const int64_t pool_size = pooled ? d.pool_size : 1, pool_stride = pooled ? d.pool_stride : 1;
  const int64_t pool_pad = pooled ? d.pool_pad : 0;
  const int64_t out_h = d.conv_out_h(), out_w = d.conv_out_w();
  const int64_t pout_h = d.pool_out_h(), pout_w = d.pool_out_w();
  L2 l2(c.l2_bytes, c.dram_page_bytes);
  warm(l2, kInBase, d.batch * d.in_h * d.in_w * d.in_c);
  const int ds = t.downsample ? 1 : 0;
  const int64_t max_chs = int64_t{c.max_block_len()} * dim;  // channels per mvin row
  // First-layer optimisation: with few input channels, one K block holds several kernel columns.
  const int64_t max_pixels_per_row =
      (ds || d.dilation > 1 || t.kchs > dim) ? 1 : std::min<int64_t>(dim / t.kchs, t.kcols);

  std::vector<TileWork> tiles;
  tiles.reserve(static_cast<size_t>(t.tiles));
  for (int64_t b = 0; b < d.batch; b += t.batches)
    for (int64_t porow = 0; porow < pout_h; porow += t.porows)
      for (int64_t pocol = 0; pocol < pout_w; pocol += t.pocols)
        for (int64_t poch = 0; poch < d.out_c; poch += t.pochs)
          for (int64_t krow = 0; krow < d.k_h; krow += t.krows)
            for (int64_t kcol = 0; kcol < d.k_w; kcol += t.kcols)
              for (int64_t kch = 0; kch < d.in_c; kch += t.kchs) {
                const int64_t batches = std::min(t.batches, d.batch - b);
                const int64_t porows = std::min(t.porows, pout_h - porow);
                const int64_t pocols = std::min(t.pocols, pout_w - pocol);
                const int64_t pochs = std::min(t.pochs, d.out_c - poch);
                const int64_t krows = std::min(t.krows, d.k_h - krow);
                const int64_t kcols = std::min(t.kcols, d.k_w - kcol);
                const int64_t kchs = std::min(t.kchs, d.in_c - kch);
                // Conv outputs under this tile (pooling windows overhang the conv output at the edges).
                const int64_t orow = porow * pool_stride - pool_pad, ocol = pocol * pool_stride - pool_pad;
                const int64_t orows_full = porows * pool_stride + pool_size - 1;
                const int64_t ocols_full = pocols * pool_stride + pool_size - 1;
                const int64_t pupad = orow < 0 ? -orow : 0, plpad = ocol < 0 ? -ocol : 0;
                const int64_t pdpad = std::max<int64_t>(0, orow + orows_full - out_h);
                const int64_t prpad = std::max<int64_t>(0, ocol + ocols_full - out_w);
                const int64_t orows = orows_full - pupad - pdpad, ocols = ocols_full - plpad - prpad;
                // Input window of the tile and its in-bounds part (padding comes from the zero writer).
                const int64_t dk_rows = krows + (d.dilation - 1) * (krows - 1);
                const int64_t dk_cols = kcols + (d.dilation - 1) * (kcols - 1);
                const int64_t irow0 = std::max<int64_t>(orow, 0) * d.stride + krow * d.dilation - d.pad;
                const int64_t icol0 = std::max<int64_t>(ocol, 0) * d.stride + kcol * d.dilation - d.pad;
                const int64_t irows = orows * d.stride + dk_rows - 1, icols = ocols * d.stride + dk_cols - 1;
                const int64_t ir_lo = std::max<int64_t>(irow0, 0), ir_hi = std::min(irow0 + irows, d.in_h);
                const int64_t ic_lo = std::max<int64_t>(icol0, 0), ic_hi = std::min(icol0 + icols, d.in_w);
                const bool first_k = krow == 0 && kcol == 0 && kch == 0;
                const bool last_k = krow + krows >= d.k_h && kcol + kcols >= d.k_w && kch + kchs >= d.in_c;
                TileWork w;
                // Every mvin/mvout command moves <= DIM rows (LoopConv.scala: LdBias, LdInput, LdWeight, St).
                if (d.has_bias && first_k)  // LdBias: for b, orow, ocol (<= DIM pixels), och block: int32 rows, repeated
                  for (int64_t r = 0; r < batches * orows; ++r)
                    for (int64_t col0 = 0; col0 < ocols; col0 += dim)
                      for (int64_t och = 0; och < pochs; och += dim) {
                        for (int64_t col = col0; col < std::min(ocols, col0 + dim); ++col)
                          w.load.row(true, kBiasBase + static_cast<uint64_t>(4 * (poch + och)), 4 * std::min(dim, pochs - och), l2, c);
                        w.load.end_command(true, c);
                      }
                // LdInput: for b: for irow: for icol (<= DIM pixels): for ich (<= 4 blocks); every other pixel when
                // downsampling. With the first-layer optimisation the pixel repeater writes each input row
                // max_pixels_per_row times into the scratchpad, one row per cycle (PixelRepeater.scala), padding
                // rows from the zero writer included.
                const int64_t repeats = max_pixels_per_row;
                for (int64_t bb = b; bb < b + batches; ++bb)
                  for (int64_t ir = ir_lo; ir < ir_hi; ir += 1 + ds)
                    for (int64_t ic0 = ic_lo; ic0 < ic_hi; ic0 += dim << ds)
                      for (int64_t ch = 0; ch < kchs; ch += max_chs) {
                        int64_t n = 0;
                        for (int64_t ic = ic0; ic < std::min(ic_hi, ic0 + (dim << ds)); ic += 1 + ds, ++n)
                          w.load.row(true, kInBase + static_cast<uint64_t>(((bb * d.in_h + ir) * d.in_w + ic) * d.in_c + kch + ch),
                                     std::min(max_chs, kchs - ch), l2, c);
                        w.load.end_command(true, c, static_cast<double>(n * (repeats - 1)));
                      }
                if (repeats > 1)
                  w.load.unit_time += static_cast<double>(repeats * batches * (irows >> ds) * (icols >> ds) * cdiv(kchs, max_chs));
                // LdWeight: for och (<= 4 blocks): for krow: for kcol: for kch (block of <= DIM rows).
                for (int64_t och = 0; och < pochs; och += max_chs)
                  for (int64_t kr = krow; kr < krow + krows; ++kr)
                    for (int64_t kc = kcol; kc < kcol + kcols; ++kc)
                      for (int64_t ci0 = kch; ci0 < kch + kchs; ci0 += dim) {
                        for (int64_t ci = ci0; ci < std::min(kch + kchs, ci0 + dim); ++ci)
                          w.load.row(true, kWeightBase + static_cast<uint64_t>(((kr * d.k_w + kc) * d.in_c + ci) * d.out_c + poch + och),
                                     std::min(max_chs, pochs - och), l2, c);
                        w.load.end_command(true, c);
                      }
                if (last_k) {
                  if (!pooled) {  // for b: for orow: for ocol (<= DIM pixels): for och (one block per request)
                    for (int64_t bb = b; bb < b + batches; ++bb)
                      for (int64_t r = std::max<int64_t>(orow, 0); r < std::max<int64_t>(orow, 0) + orows; ++r)
                        for (int64_t col0 = std::max<int64_t>(ocol, 0); col0 < std::max<int64_t>(ocol, 0) + ocols; col0 += dim)
                          for (int64_t och = 0; och < pochs; och += dim) {
                            for (int64_t col = col0; col < std::min(std::max<int64_t>(ocol, 0) + ocols, col0 + dim); ++col)
                              w.store.row(false, kOutBase + static_cast<uint64_t>(((bb * out_h + r) * out_w + col) * d.out_c + poch + och),
                                          std::min(dim, pochs - och), l2, c);
                            w.store.end_command(false, c);
                          }
                  } else {  // one pooled mvout per (b, och block)
                    for (int64_t bb = b; bb < b + batches; ++bb)
                      for (int64_t och = 0; och < pochs; och += dim) {
                        for (int64_t r = porow; r < porow + porows; ++r)
                          for (int64_t col = pocol; col < pocol + pocols; ++col)
                            w.store.row(false, kOutBase + static_cast<uint64_t>(((bb * pout_h + r) * pout_w + col) * d.out_c + poch + och),
                                        std::min(dim, pochs - och), l2, c);
                        w.store.end_command(false, c);
                      }
                    // The pooling store walks the window: one accumulator row per cycle.
                    w.store.bw_time = std::max(
                        w.store.bw_time, static_cast<double>(batches * porows * pocols * cdiv(pochs, dim) *
                                                             pool_size * pool_size));
                  }
                }
                // Mesh: for och block: for krow: for kcol (step pixels): for kch block: for b, orow, ocol (16).
                const int64_t n_och = cdiv(pochs, dim), n_kch = cdiv(kchs, dim);
                const int64_t full = ocols / dim, rem = ocols % dim;
                const int64_t first_i = std::min(dim, ocols);
                const double per_group_rows = static_cast<double>(batches * orows) *
                                              static_cast<double>(full * dim + (rem ? std::max<int64_t>(rem, c.ws_min_rows) : 0));
                double compute = 0;
                for (int64_t kc = 0; kc < kcols; kc += max_pixels_per_row) {
                  const int64_t pixels = std::min(max_pixels_per_row, kcols - kc);
                  for (int64_t k = 0; k < n_kch; ++k) {
                    const int64_t krows_b = pixels * std::min(dim, kchs - k * dim);
                    const double weights_extra =
                        static_cast<double>(std::max({first_i, krows_b, int64_t{c.ws_min_rows}}) -
                                            std::max<int64_t>(first_i, c.ws_min_rows));
                    compute += static_cast<double>(n_och * krows) * (per_group_rows + weights_extra);
                  }
                }
                w.compute = compute;
                // The two conv loops in flight use the scratchpad halves in turn; the odd tiles' inputs start at
                // row sp_rows/2. With pixel repeats the reservation station widens a mvin's destination down by
                // repeats-1 rows, flooring at row 0 unless the start is *above* sp_rows/2
                // (ReservationStation.scala, has_first_layer_optimizations), so the first input mvin of an odd
                // tile seems to overwrite the even tile's last weight rows (which end at sp_rows/2): it and every
                // later load wait until the even tile's compute has read them.
                w.loads_after_prev_compute = repeats > 1 && tiles.size() % 2 == 1;
                tiles.push_back(std::move(w));
              }
  Cost cost;
  const double cycles = pipeline(tiles, Overlap::kConv, c, cost);
  return finish(cost, cycles, d.macs(), c);
}

Cost matmul_cost_df(int64_t I, int64_t J, int64_t K, const Config& c, bool has_bias, Dataflow df) {
  return cheapest<MatmulTiling>(
      c, [&](const Config& b) { return tiled_matmul_auto(I, J, K, df, b); },
      [&](const MatmulTiling& t) { return matmul_cost_tiled(I, J, K, c, has_bias, df, t); });
}

Cost conv_ws_cost(const ConvDims& d, const Config& c, ConvTiling* chosen = nullptr) {
  return cheapest<ConvTiling>(
      c, [&](const Config& b) { return tiled_conv_auto(d, b); },
      [&](const ConvTiling& t) { return conv_ws_cost_tiled(d, c, t); }, chosen);
}

ConvDims one_group(const ConvDims& d) {
  ConvDims g = d;
  g.in_c = d.in_c / d.groups;
  g.out_c = d.out_c / d.groups;
  g.groups = 1;
  return g;
}

Cost repeat(const Cost& one, int64_t times, const Config& c) {
  Cost total;
  for (int64_t i = 0; i < times; ++i) total.add(one, c);
  return total;
}

}  // namespace

double utilization(int64_t macs, int64_t cycles, const Config& c) {
  return cycles > 0 ? static_cast<double>(macs) / (static_cast<double>(c.dim) * c.dim * static_cast<double>(cycles)) : 0;
}

void Cost::add(const Cost& o, const Config& c) {
  cycles += o.cycles;
  dma_in_bytes += o.dma_in_bytes;
  dma_out_bytes += o.dma_out_bytes;
  macs += o.macs;
  tiles += o.tiles;
  compute_cycles += o.compute_cycles;
  dma_requests += o.dma_requests;
  dma_in_rows += o.dma_in_rows;
  dma_out_rows += o.dma_out_rows;
  host_bytes += o.host_bytes;
  utilization = systolic::utilization(macs, cycles, c);
}

nlohmann::json to_json(const Cost& x) {
  return {{"cycles", x.cycles},           {"dma_in_bytes", x.dma_in_bytes}, {"dma_out_bytes", x.dma_out_bytes},
          {"macs", x.macs},               {"tiles", x.tiles},               {"utilization", x.utilization},
          {"compute_cycles", x.compute_cycles}, {"dma_requests", x.dma_requests}, {"dma_in_rows", x.dma_in_rows},
          {"dma_out_rows", x.dma_out_rows},     {"host_bytes", x.host_bytes}};
}

Cost matmul_cost(int64_t I, int64_t J, int64_t K, const Config& c, bool has_bias) {
  if (I <= 0 || J <= 0 || K <= 0) return Cost{};
  return matmul_cost_df(I, J, K, c, has_bias, c.dataflow);
}

bool empty(const ConvDims& d) {
  return d.batch <= 0 || d.in_h <= 0 || d.in_w <= 0 || d.in_c <= 0 || d.out_c <= 0 || d.k_h <= 0 || d.k_w <= 0 ||
         d.stride <= 0 || d.dilation <= 0 || d.pad < 0 || d.groups <= 0 || d.in_c % d.groups != 0 ||
         d.out_c % d.groups != 0 || d.conv_out_h() <= 0 || d.conv_out_w() <= 0 ||
         (d.pooled() && (d.pool_size <= 0 || d.pool_stride <= 0 || d.pool_out_h() <= 0 || d.pool_out_w() <= 0));
}

Cost conv_im2col_cost(const ConvDims& d, const Config& c) {
  if (empty(d)) return Cost{};
  const ConvDims g = one_group(d);
  const int64_t rows = g.batch * g.conv_out_h() * g.conv_out_w(), depth = g.k_h * g.k_w * g.in_c;
  Cost one = matmul_cost_df(rows, g.out_c, depth, c, g.has_bias, c.dataflow);
  one.host_bytes = (g.k_h == 1 && g.k_w == 1 && g.stride == 1 && g.pad == 0) ? 0 : rows * depth;
  // The host writes the im2col matrix before the matmul starts.
  one.cycles += static_cast<int64_t>(std::ceil(static_cast<double>(one.host_bytes) / c.host_bytes_per_cycle));
  one.macs = g.macs();
  one.utilization = utilization(one.macs, one.cycles, c);
  Cost total = repeat(one, d.groups, c);
  if (d.pooled()) {
    PoolDims p{d.batch, d.conv_out_h(), d.conv_out_w(), d.out_c, d.pool_size, d.pool_stride, d.pool_pad};
    total.add(pool_cost(p, c), c);
  }
  return total;
}

Cost conv_cost(const ConvDims& d, const Config& c) {
  if (empty(d)) return Cost{};
  if (c.dataflow == Dataflow::kOS) return conv_im2col_cost(d, c);  // Gemmini has no OS conv loop
  return repeat(conv_ws_cost(one_group(d), c), d.groups, c);
}

ConvTiling conv_loop_tiling(const ConvDims& d, const Config& c) {
  if (!c.search_tiles) return tiled_conv_auto(d, c);
  ConvTiling t = tiled_conv_auto(d, c);
  conv_ws_cost(d, c, &t);
  return t;
}

Cost resadd_cost(int64_t I, int64_t J, const Config& c) {
  if (I <= 0 || J <= 0) return Cost{};
  const ResaddTiling t = tiled_resadd_auto(I, J, c);
  const int64_t max_cols = c.dma_max_bytes;
  L2 l2(c.l2_bytes, c.dram_page_bytes);
  warm(l2, kIn2Base, I * J);  // the branch that was computed last
  warm(l2, kInBase, I * J);
  std::vector<TileWork> tiles;
  for (int64_t i = 0; i < I; i += t.tile_I)
    for (int64_t j = 0; j < J; j += t.tile_J) {
      const int64_t rows = std::min(t.tile_I, I - i), cols = std::min(t.tile_J, J - j);
      TileWork w;
      // Commands of <= DIM rows and <= 4 blocks: mvin A, mvin B, mvout C.
      for (uint64_t base : {kInBase, kIn2Base, kOutBase})
        for (int64_t r0 = i; r0 < i + rows; r0 += c.dim)
          for (int64_t col = j; col < j + cols; col += max_cols) {
            Traffic& tr = base == kOutBase ? w.store : w.load;
            for (int64_t r = r0; r < std::min(i + rows, r0 + c.dim); ++r)
              tr.row(base != kOutBase, base + static_cast<uint64_t>(r * J + col), std::min(max_cols, j + cols - col), l2, c);
            tr.end_command(base != kOutBase, c);
          }
      tiles.push_back(std::move(w));
    }
  Cost cost;
  const double cycles = pipeline(tiles, Overlap::kConv, c, cost);
  return finish(cost, cycles, 0, c);
}

Cost pool_cost(const PoolDims& p, const Config& c) {
  if (p.batch <= 0 || p.in_h <= 0 || p.in_w <= 0 || p.channels <= 0 || p.size <= 0 || p.stride <= 0 || p.pad < 0 ||
      p.out_h() <= 0 || p.out_w() <= 0)
    return Cost{};
  const int64_t dim = c.dim, oh = p.out_h(), ow = p.out_w();
  L2 l2(c.l2_bytes, c.dram_page_bytes);
  warm(l2, kInBase, p.batch * p.in_h * p.in_w * p.channels);
  // A tile is one DIM-channel block of as many output rows as fit: their input rows (one accumulator row
  // per pixel) in half of the accumulator. The input pixels move in (zero padding on chip), the pooled
  // pixels out; the store unit reads size^2 accumulator rows per output pixel.
  int64_t tile_rows = oh;
  while (tile_rows > 1 && ((tile_rows - 1) * p.stride + p.size) * p.in_w > c.acc_rows() / 2) --tile_rows;
  std::vector<TileWork> tiles;
  for (int64_t b = 0; b < p.batch; ++b)
    for (int64_t ch = 0; ch < p.channels; ch += dim)
      for (int64_t r0 = 0; r0 < oh; r0 += tile_rows) {
        const int64_t chs = std::min(dim, p.channels - ch), rows = std::min(tile_rows, oh - r0);
        const int64_t ir_lo = std::max<int64_t>(0, r0 * p.stride - p.pad);
        const int64_t ir_hi = std::min(p.in_h, (r0 + rows - 1) * p.stride - p.pad + p.size);
        TileWork w;
        for (int64_t ir = ir_lo; ir < ir_hi; ++ir)
          for (int64_t ic0 = 0; ic0 < p.in_w; ic0 += dim) {  // commands of <= DIM pixels
            for (int64_t ic = ic0; ic < std::min(p.in_w, ic0 + dim); ++ic)
              w.load.row(true, kInBase + static_cast<uint64_t>(((b * p.in_h + ir) * p.in_w + ic) * p.channels + ch), chs, l2, c);
            w.load.end_command(true, c);
          }
        for (int64_t r = r0; r < r0 + rows; ++r) {  // one pooled mvout per output row
          for (int64_t col = 0; col < ow; ++col)
            w.store.row(false, kOutBase + static_cast<uint64_t>(((b * oh + r) * ow + col) * p.channels + ch), chs, l2, c);
          w.store.end_command(false, c);
        }
        w.store.bw_time = std::max(w.store.bw_time, static_cast<double>(rows * ow * p.size * p.size));
        tiles.push_back(std::move(w));
      }
  Cost cost;
  const double cycles = pipeline(tiles, Overlap::kConv, c, cost);
  return finish(cost, cycles, 0, c);
}

Cost global_average_cost(int64_t batch, int64_t h, int64_t w, int64_t channels, const Config& c) {
  if (batch <= 0 || h <= 0 || w <= 0 || channels <= 0) return Cost{};
  const GlobalAverageTiling t = tiled_global_average_auto(channels, c);
  const int64_t max_cols = c.dma_max_bytes;
  L2 l2(c.l2_bytes, c.dram_page_bytes);
  warm(l2, kInBase, batch * h * w * channels);
  std::vector<TileWork> tiles;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t ch0 = 0; ch0 < channels; ch0 += t.channel_tile) {
      const int64_t chs = std::min(t.channel_tile, channels - ch0);
      TileWork work;
      // One one-row mvin per pixel and <= 4-block chunk, accumulating in the accumulator.
      for (int64_t k = 0; k < chs; k += max_cols)
        for (int64_t px = 0; px < h * w; ++px) {  // each a one-row command
          work.load.row(true, kInBase + static_cast<uint64_t>((b * h * w + px) * channels + ch0 + k),
                        std::min(max_cols, chs - k), l2, c);
          work.load.end_command(true, c);
        }
      for (int64_t k = 0; k < chs; k += c.dim) {
        work.store.row(false, kOutBase + static_cast<uint64_t>(b * channels + ch0 + k), std::min<int64_t>(c.dim, chs - k), l2, c);
        work.store.end_command(false, c);
      }
      tiles.push_back(std::move(work));
    }
  Cost cost;
  const double cycles = pipeline(tiles, Overlap::kConv, c, cost);
  return finish(cost, cycles, 0, c);
}

}  // namespace inr::systolic
