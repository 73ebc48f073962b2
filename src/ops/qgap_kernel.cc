// QLinearGlobalAveragePool arithmetic; see qgap_kernel.h.
#include "ops/qgap_kernel.h"

#include <algorithm>

#include "ops/quant_util.h"

namespace inr {

QGapParams qgap_params(float x_scale, int32_t x_zp, float y_scale, int32_t y_zp, int64_t spatial, DType type) {
  QGapParams p;
  p.x_zp = x_zp;
  p.y_zp = y_zp;
  p.scale = x_scale / (y_scale * static_cast<float>(spatial));
  QRange r = qrange(type);
  p.lo = r.lo;
  p.hi = r.hi;
  return p;
}

namespace {

template <typename T>
void qgap_typed(const T* x, T* y, int64_t batch, int64_t channels, int64_t spatial, bool channels_last,
                const QGapParams& p) {
  QRange r{p.lo, p.hi};
  int32_t bias = -p.x_zp * static_cast<int32_t>(spatial);
  auto finish = [&](int32_t acc) { return static_cast<T>(quantize_value(static_cast<float>(acc) * p.scale, p.y_zp, r)); };
  if (channels_last) {
    // Channels in blocks of a stack array: the oneDNN backend runs this inside its steady-state loop, which
    // allocates nothing.
    constexpr int64_t kBlock = 256;
#pragma omp parallel for schedule(static) if (batch > 1)
    for (int64_t n = 0; n < batch; ++n) {
      const T* img = x + n * spatial * channels;
      for (int64_t c0 = 0; c0 < channels; c0 += kBlock) {
        int64_t width = std::min(kBlock, channels - c0);
        int32_t acc[kBlock];
        std::fill(acc, acc + width, bias);
        for (int64_t s = 0; s < spatial; ++s)
          for (int64_t c = 0; c < width; ++c) acc[c] += img[s * channels + c0 + c];
        for (int64_t c = 0; c < width; ++c) y[n * channels + c0 + c] = finish(acc[c]);
      }
    }
  } else {
#pragma omp parallel for schedule(static) if (batch * channels * spatial > (int64_t{1} << 16))
    for (int64_t nc = 0; nc < batch * channels; ++nc) {
      const T* plane = x + nc * spatial;
      int32_t acc = bias;
      for (int64_t s = 0; s < spatial; ++s) acc += plane[s];
      y[nc] = finish(acc);
    }
  }
}

}  // namespace

void qgap(DType type, const void* x, void* y, int64_t batch, int64_t channels, int64_t spatial, bool channels_last,
          const QGapParams& p) {
  if (type == DType::kU8)
    qgap_typed(static_cast<const uint8_t*>(x), static_cast<uint8_t*>(y), batch, channels, spatial, channels_last, p);
  else
    qgap_typed(static_cast<const int8_t*>(x), static_cast<int8_t*>(y), batch, channels, spatial, channels_last, p);
}

}  // namespace inr
