// An exact s8 x s8 -> int32 convolution on oneDNN's int8 kernels, for code outside the oneDNN backend that
// needs the accumulators themselves (the emulated Gemmini's -x 0 applies Gemmini's own epilogue to them).
//
// acc[r, m] = sum over the window of x * w (int32, no bias), r = (output row, output column) of one image, m
// the output channel: channels-last, which oneDNN's fast int8 kernels write. Padding contributes 0. The
// output is computed in bands of output rows (one primitive per band shape: top, middle, bottom padding)
// whose accumulators stay in cache until the caller's callback has read them: written whole, the int32
// accumulators of a large layer (112x112x96 x 4 bytes) go to memory and back.
//
// Exactness (checked at make(); where a condition fails make() says why and the caller keeps its own path):
// - Without VNNI the int8 kernels' vpmaddubsw saturates int16 pair sums and oneDNN halves s8 weights for s8
//   sources (onednn_int8.h): the source is shifted to u8 (x xor 0x80, zero point 128, done here while
//   copying the source into channels-last order) and weights beyond +-kPairSafeMax are split into two
//   pair-safe primitives whose int32 accumulators the caller adds (parts() == 2), as the oneDNN backend's
//   QLinearConv does (int8_route, split_pair_safe). A depthwise convolution on the direct JIT kernel widens
//   to 16 bits and is exact with any weights (onednn_lower_qconv.cc).
// - oneDNN's int8 kernels convert the int32 sum to float before storing (scales, bias, post-ops), and back
//   to s32 for an s32 destination. That is exact when every intermediate is an integer below 2^24 in
//   magnitude: make() requires 255 * max_m sum_k |w[m, k]| < 2^24 (a u8 source times the weights of one
//   output channel, the largest sum any route forms, compensations included).
// - No reference (plain C++) implementation is accepted: the caller's own kernel is as exact and faster.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "inr/tensor.h"
#include "inr/status.h"
#include "ops/conv_kernel.h"

namespace inr::onednn {

class Int8ConvS32 {
 public:
  // Called with each band's accumulators: image n, output rows [oh0, oh1), acc[part] channels-last
  // ((oh1 - oh0) * OW rows of M int32).
  using BandFn = std::function<void(int64_t n, int64_t oh0, int64_t oh1, const int32_t* const* acc)>;

  // `cs`: a 2-D convolution's geometry; `w`: its s8 weights [M, C/group, KH, KW]. The output is computed in
  // bands of output rows whose accumulators take at most `band_bytes` (at least one row), so they are still
  // in cache when the caller reads them; 0: kBandBytesPerThread times the OpenMP threads (each thread's
  // share of a band is what it reads from its own cache). An error (the reason) when there is no exact fast oneDNN route for
  // it on the process's CPU tier.
  static Result<std::unique_ptr<Int8ConvS32>> make(const ConvShape& cs, const Tensor& w,
                                                   int64_t band_bytes = 0);
  static constexpr int64_t kBandBytesPerThread = int64_t{128} << 10;
  ~Int8ConvS32();

  // 1, or 2 when the weights were split: the second accumulator must be added to the first.
  int parts() const;
  int64_t band_rows() const;  // output rows per band (the last band may have fewer)
  // oneDNN's implementation name(s), e.g. "brg:avx512_core_vnni" (for tests and the debug log).
  std::string impl() const;

  // Computes the accumulators of the s8 source `x` (NCHW, or channels-last [N, H, W, C] when `x_nhwc`) band
  // by band, calling `done` after each. Buffers are allocated at make(), except the copy of the source an NCHW
  // source or a tier without VNNI needs (channels-last, shifted to u8), which the first such run allocates.
  // Calls on one object must not overlap.
  void run(const int8_t* x, bool x_nhwc, const BandFn& done);

 private:
  struct Impl;
  explicit Int8ConvS32(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace inr::onednn
