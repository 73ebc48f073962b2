// Resampling, written from the algorithms of Pillow 9.4 src/libImaging/Resample.c (precompute_coeffs,
// normalize_coeffs_8bpc, ImagingResampleHorizontal/Vertical_8bpc, ImagingResampleInner) and OpenCV 4
// modules/imgproc/src/resize.cpp (cv::hal::resize's choice of algorithm and coefficient set-up,
// HResizeLinear/VResizeLinear and HResizeCubic/VResizeCubic for 8 bits with their SSE2 vertical loops,
// resizeAreaFast, computeResizeAreaTab/ResizeArea_Invoker). Not copied: re-implemented so that each output
// pixel can be computed on its own, with OpenCV's integer and float arithmetic step by step, because the
// OpenCV parity standard is pixel-exact (tests/image/cv_parity_test.cc, against Debian's OpenCV 4.6).
#include "image/resample.h"

#include <immintrin.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "core/cpu_tier.h"

namespace inr::image {

namespace {

// Pillow: PRECISION_BITS = 32 - 8 - 2, coefficients are doubles rounded half away from zero to this many
// fractional bits; sums start at half an LSB and are clipped to 0..255 after the shift.
constexpr int kPilBits = 22;
// OpenCV: INTER_RESIZE_COEF_BITS = 11 per axis, so a 2-D sum has 22 fractional bits.
constexpr int kCvBits = 11;
constexpr int kCvScale = 1 << kCvBits;

double pil_bilinear(double x) {
  if (x < 0.0) x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}
double pil_bicubic(double x) {
  constexpr double a = -0.5;  // Pillow's choice (Keys' kernel)
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}
double sinc(double x) {
  if (x == 0.0) return 1.0;
  x = x * M_PI;
  return std::sin(x) / x;
}
double pil_lanczos(double x) {
  if (-3.0 <= x && x < 3.0) return sinc(x) * sinc(x / 3);
  return 0.0;
}

void build_pil(Kernel kernel, int in_size, int out_size, AxisCoeffs& c) {
  double (*filter)(double) = pil_bilinear;
  double support = 1.0;
  if (kernel == Kernel::kPilBicubic) filter = pil_bicubic, support = 2.0;
  if (kernel == Kernel::kPilLanczos) filter = pil_lanczos, support = 3.0;
  // Pillow computes the box width in float (in1 - in0 with in0 = 0, in1 = in_size), then in double.
  const double scale = static_cast<double>(static_cast<float>(in_size) - 0.0f) / out_size;
  const double filterscale = scale < 1.0 ? 1.0 : scale;
  support *= filterscale;
  const int ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.ksize = ksize;
  c.start.assign(static_cast<size_t>(out_size), 0);
  c.count.assign(static_cast<size_t>(out_size), 0);
  c.w.assign(static_cast<size_t>(out_size) * static_cast<size_t>(ksize), 0);
  std::vector<double> k(static_cast<size_t>(ksize));
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = 0.0 + (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      double w = filter((x + xmin - center + 0.5) * ss);
      k[static_cast<size_t>(x)] = w;
      ww += w;
    }
    for (int x = 0; x < xmax; ++x) {
      double v = k[static_cast<size_t>(x)];
      if (ww != 0.0) v /= ww;
      // normalize_coeffs_8bpc: round half away from zero, truncating conversion.
      c.w[static_cast<size_t>(xx) * ksize + x] =
          v < 0 ? static_cast<int32_t>(-0.5 + v * (1 << kPilBits)) : static_cast<int32_t>(0.5 + v * (1 << kPilBits));
    }
    c.start[static_cast<size_t>(xx)] = xmin;
    c.count[static_cast<size_t>(xx)] = std::max(xmax, 0);
  }
  // Fixed-tap copy for the unrolled horizontal kernel.
  int kmax = 0;
  for (int n : c.count) kmax = std::max(kmax, n);
  c.kfixed = 0;
  if (kmax > 0 && kmax <= in_size) {
    c.kfixed = kmax;
    c.fixed_start.assign(static_cast<size_t>(out_size), 0);
    c.fixed_w.assign(static_cast<size_t>(out_size) * kmax, 0);
    c.fixed_wt.assign(static_cast<size_t>(out_size) * kmax, 0);
    for (int xx = 0; xx < out_size; ++xx) {
      const int s0 = c.start[static_cast<size_t>(xx)];
      const int fs = std::min(s0, in_size - kmax);  // shift left so that all kmax taps are inside
      c.fixed_start[static_cast<size_t>(xx)] = fs;
      for (int t = 0; t < c.count[static_cast<size_t>(xx)]; ++t)
        c.fixed_w[static_cast<size_t>(xx) * kmax + (s0 - fs) + t] = c.w[static_cast<size_t>(xx) * ksize + t];
      for (int t = 0; t < kmax; ++t)
        c.fixed_wt[static_cast<size_t>(t) * out_size + xx] = c.fixed_w[static_cast<size_t>(xx) * kmax + t];
    }
  }
}

int16_t cv_fixed(float v) {  // saturate_cast<short>(v * INTER_RESIZE_COEF_SCALE): float, rounded half to even
  const long r = std::lrint(v * static_cast<float>(kCvScale));
  return static_cast<int16_t>(std::clamp<long>(r, INT16_MIN, INT16_MAX));
}

// OpenCV's cubic kernel (interpolateCubic, A = -0.75), evaluated in float as OpenCV does.
void cv_cubic_coeffs(float x, float* k) {
  constexpr float A = -0.75f;
  k[0] = ((A * (x + 1) - 5 * A) * (x + 1) + 8 * A) * (x + 1) - 4 * A;
  k[1] = ((A + 2) * x - (A + 3)) * x * x + 1;
  k[2] = ((A + 2) * (1 - x) - (A + 3)) * (1 - x) * (1 - x) + 1;
  k[3] = 1.f - k[0] - k[1] - k[2];
}

// cv::resize works with inv_scale = out / in and scale = 1 / inv_scale, both doubles; scale is not always
// exactly in / out, and the rounding of the coordinates below depends on it.
double cv_inv_scale(int in_size, int out_size) { return static_cast<double>(out_size) / in_size; }

// INTER_AREA shrinking by a non-integer factor (OpenCV's computeResizeAreaTab): output o covers source
// [o * scale, (o + 1) * scale) clipped to the image; a partial first or last source pixel counts only when it
// is covered by more than 1e-3, and every weight is the covered part divided by the width of the cell.
void build_cv_area_float(int in_size, int out_size, AxisCoeffs& c) {
  const double scale = 1.0 / cv_inv_scale(in_size, out_size);
  c.ksize = static_cast<int>(std::ceil(scale)) + 2;
  c.start.assign(static_cast<size_t>(out_size), 0);
  c.count.assign(static_cast<size_t>(out_size), 0);
  c.fweights.assign(static_cast<size_t>(out_size) * static_cast<size_t>(c.ksize), 0.f);
  constexpr double kMinCover = 1e-3;
  for (int o = 0; o < out_size; ++o) {
    const double f0 = o * scale, f1 = f0 + scale;
    const double cell = std::min(scale, in_size - f0);
    int s1 = static_cast<int>(std::ceil(f0));
    int s2 = std::min(static_cast<int>(std::floor(f1)), in_size - 1);
    s1 = std::min(s1, s2);
    float* w = &c.fweights[static_cast<size_t>(o) * static_cast<size_t>(c.ksize)];
    int n = 0, first = s1;
    if (s1 - f0 > kMinCover) {
      first = s1 - 1;
      w[n++] = static_cast<float>((s1 - f0) / cell);
    }
    for (int s = s1; s < s2; ++s) w[n++] = static_cast<float>(1.0 / cell);
    if (f1 - s2 > kMinCover) w[n++] = static_cast<float>(std::min(std::min(f1 - s2, 1.0), cell) / cell);
    c.start[static_cast<size_t>(o)] = first;
    c.count[static_cast<size_t>(o)] = n;
  }
}

void build_cv(Kernel kernel, int in_size, int out_size, CvAlgo algo, Axis axis, AxisCoeffs& c) {
  c.algo = algo;
  c.axis = axis;
  const double inv_scale = cv_inv_scale(in_size, out_size);
  const double scale = 1.0 / inv_scale;
  if (algo == CvAlgo::kAreaFloat) {
    build_cv_area_float(in_size, out_size, c);
    return;
  }
  if (algo == CvAlgo::kAreaInteger) {  // block sums of block x block pixels (cv_algo checked the scales)
    const int block = static_cast<int>(std::lrint(scale));
    c.ksize = block;
    c.start.resize(static_cast<size_t>(out_size));
    c.count.assign(static_cast<size_t>(out_size), block);
    c.w.assign(static_cast<size_t>(out_size) * static_cast<size_t>(block), 1);
    for (int o = 0; o < out_size; ++o) c.start[static_cast<size_t>(o)] = o * block;
    return;
  }
  c.clamp = true;  // taps outside the image read the border pixel (OpenCV's replicated border)
  const bool cubic = kernel == Kernel::kCvCubic;
  c.ksize = cubic ? 4 : 2;
  c.start.assign(static_cast<size_t>(out_size), 0);
  c.count.assign(static_cast<size_t>(out_size), c.ksize);
  c.w.assign(static_cast<size_t>(out_size) * static_cast<size_t>(c.ksize), 0);
  for (int o = 0; o < out_size; ++o) {
    float fx;
    int sx;
    if (kernel == Kernel::kCvArea) {  // growing with INTER_AREA: OpenCV's "area mode" linear weights
      sx = static_cast<int>(std::floor(o * scale));
      fx = static_cast<float>((o + 1) - (sx + 1) * inv_scale);
      fx = fx <= 0 ? 0.f : fx - static_cast<float>(std::floor(fx));
    } else {
      fx = static_cast<float>((o + 0.5) * scale - 0.5);
      sx = static_cast<int>(std::floor(fx));
      fx -= static_cast<float>(sx);
    }
    int32_t* w = &c.w[static_cast<size_t>(o) * c.ksize];
    if (cubic) {
      float k[4];
      cv_cubic_coeffs(fx, k);
      for (int t = 0; t < 4; ++t) w[t] = cv_fixed(k[t]);
      c.start[static_cast<size_t>(o)] = sx - 1;  // taps sx-1 .. sx+2, clamped when read
    } else {
      // Only the horizontal linear weights are moved inside the image; vertically OpenCV keeps the weights
      // and reads the clamped rows, which its vertical rounding (below) does not treat the same way.
      if (axis == Axis::kHorizontal) {
        if (sx < 0) fx = 0, sx = 0;
        if (sx >= in_size - 1) fx = 0, sx = in_size - 1;
      }
      w[0] = cv_fixed(1.f - fx);
      w[1] = cv_fixed(fx);
      c.start[static_cast<size_t>(o)] = sx;
    }
  }
}

inline uint8_t clip_shift(int32_t v, int bits) {
  v >>= bits;  // arithmetic shift: floor, as Pillow's clip8 table lookup
  return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

inline int clampi(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

// Unrolled horizontal kernel for exactly K taps per output (see AxisCoeffs::kfixed): no per-pixel loop
// bounds, so the compiler keeps the three channel sums in registers. Integer arithmetic keeps it exact.
template <int K>
void pil_horizontal_fixed(const uint8_t* in, const int32_t* starts, const int32_t* weights, int n, uint8_t* o) {
  for (int i = 0; i < n; ++i) {
    const int32_t* k = weights + static_cast<size_t>(i) * K;
    const uint8_t* p = in + static_cast<size_t>(starts[i]) * 3;
    int32_t s0 = 1 << (kPilBits - 1), s1 = s0, s2 = s0;
#pragma GCC unroll 16
    for (int t = 0; t < K; ++t) {
      s0 += p[t * 3 + 0] * k[t];
      s1 += p[t * 3 + 1] * k[t];
      s2 += p[t * 3 + 2] * k[t];
    }
    o[0] = clip_shift(s0, kPilBits);
    o[1] = clip_shift(s1, kPilBits);
    o[2] = clip_shift(s2, kPilBits);
    o += 3;
  }
}

using FixedKernel = void (*)(const uint8_t*, const int32_t*, const int32_t*, int, uint8_t*);
FixedKernel fixed_kernel(int k) {
  switch (k) {
    case 2: return pil_horizontal_fixed<2>;
    case 3: return pil_horizontal_fixed<3>;
    case 4: return pil_horizontal_fixed<4>;
    case 5: return pil_horizontal_fixed<5>;
    case 6: return pil_horizontal_fixed<6>;
    case 7: return pil_horizontal_fixed<7>;
    case 8: return pil_horizontal_fixed<8>;
    default: return nullptr;
  }
}

// AVX2 horizontal kernel, 8 outputs per step: one 32-bit gather per tap fetches R, G, B (and the next
// pixel's R, ignored) of the 8 source pixels; the channel sums are the same integer sums as the scalar
// kernel, so the result is identical. Returns how many outputs it wrote (a multiple of 8); the caller
// finishes the rest with the scalar kernel. Only outputs whose last tap is not the last column held
// (`limit`) are taken, so the 4-byte gathers never read past the source buffer.
__attribute__((target("avx2"))) int pil_horizontal_avx2(const uint8_t* in, const int32_t* starts,
                                                        const int32_t* wt, size_t wt_stride, int k, int n,
                                                        int limit, uint8_t* o) {
  const __m256i mask = _mm256_set1_epi32(0xff);
  const __m256i half = _mm256_set1_epi32(1 << (kPilBits - 1));
  const __m256i zero = _mm256_setzero_si256();
  const __m256i max8 = _mm256_set1_epi32(255);
  // Packs the low 3 bytes of each 32-bit lane into 12 bytes per 128-bit lane.
  const __m256i pack = _mm256_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1,  //
                                        0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1);
  int i = 0;
  for (; i + 8 <= n && starts[i + 7] + k < limit; i += 8) {
    const __m256i s = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(starts + i));
    __m256i off = _mm256_add_epi32(_mm256_add_epi32(s, s), s);  // byte offset = 3 * start
    __m256i r = half, g = half, b = half;
    for (int t = 0; t < k; ++t) {
      const __m256i px = _mm256_i32gather_epi32(reinterpret_cast<const int*>(in), off, 1);
      const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wt + static_cast<size_t>(t) * wt_stride + i));
      r = _mm256_add_epi32(r, _mm256_mullo_epi32(_mm256_and_si256(px, mask), w));
      g = _mm256_add_epi32(g, _mm256_mullo_epi32(_mm256_and_si256(_mm256_srli_epi32(px, 8), mask), w));
      b = _mm256_add_epi32(b, _mm256_mullo_epi32(_mm256_and_si256(_mm256_srli_epi32(px, 16), mask), w));
      off = _mm256_add_epi32(off, _mm256_set1_epi32(3));
    }
    r = _mm256_min_epi32(_mm256_max_epi32(_mm256_srai_epi32(r, kPilBits), zero), max8);
    g = _mm256_min_epi32(_mm256_max_epi32(_mm256_srai_epi32(g, kPilBits), zero), max8);
    b = _mm256_min_epi32(_mm256_max_epi32(_mm256_srai_epi32(b, kPilBits), zero), max8);
    const __m256i rgb = _mm256_or_si256(r, _mm256_or_si256(_mm256_slli_epi32(g, 8), _mm256_slli_epi32(b, 16)));
    alignas(32) uint8_t tmp[32];
    _mm256_store_si256(reinterpret_cast<__m256i*>(tmp), _mm256_shuffle_epi8(rgb, pack));
    std::memcpy(o, tmp, 12);
    std::memcpy(o + 12, tmp + 16, 12);
    o += 24;
  }
  return i;
}

bool have_avx2() {
  static const bool has = tier_has_avx2(cpu_tier());
  return has;
}

// Pillow horizontal pass for rows [y_first, y_last) of the source, output columns [ox0, ox1).
void pil_horizontal(const SourceView& src, const AxisCoeffs& h, int y_first, int y_last, int ox0, int ox1,
                    uint8_t* out, size_t out_stride) {
  const int ksize = h.ksize;
  if (FixedKernel f = h.kfixed > 0 ? fixed_kernel(h.kfixed) : nullptr) {
    const bool simd = have_avx2();
    const int limit = src.x0 + src.width;
    for (int y = y_first; y < y_last; ++y) {
      const uint8_t* in = src.base + static_cast<size_t>(y - src.y0) * src.stride - static_cast<ptrdiff_t>(src.x0) * 3;
      uint8_t* o = out + static_cast<size_t>(y - y_first) * out_stride;
      int done = 0;
      if (simd)
        done = pil_horizontal_avx2(in, h.fixed_start.data() + ox0, h.fixed_wt.data() + ox0,
                                   static_cast<size_t>(h.out_size), h.kfixed, ox1 - ox0, limit, o);
      f(in, h.fixed_start.data() + ox0 + done, h.fixed_w.data() + static_cast<size_t>(ox0 + done) * h.kfixed,
        ox1 - ox0 - done, o + static_cast<size_t>(done) * 3);
    }
    return;
  }
  for (int y = y_first; y < y_last; ++y) {
    const uint8_t* in = src.base + static_cast<size_t>(y - src.y0) * src.stride - static_cast<ptrdiff_t>(src.x0) * 3;
    uint8_t* o = out + static_cast<size_t>(y - y_first) * out_stride;
    for (int xx = ox0; xx < ox1; ++xx) {
      const int32_t* k = &h.w[static_cast<size_t>(xx) * ksize];
      const uint8_t* p = in + static_cast<size_t>(h.start[static_cast<size_t>(xx)]) * 3;
      const int n = h.count[static_cast<size_t>(xx)];
      int32_t s0 = 1 << (kPilBits - 1), s1 = s0, s2 = s0;
      for (int t = 0; t < n; ++t) {
        s0 += p[t * 3 + 0] * k[t];
        s1 += p[t * 3 + 1] * k[t];
        s2 += p[t * 3 + 2] * k[t];
      }
      o[0] = clip_shift(s0, kPilBits);
      o[1] = clip_shift(s1, kPilBits);
      o[2] = clip_shift(s2, kPilBits);
      o += 3;
    }
  }
}

// Vertical pass over 8-bit rows; `rows_base` holds source row `row_first` first. Contiguous inner loop so
// that the compiler vectorises it.
[[gnu::always_inline]] inline void pil_vertical_body(const uint8_t* rows_base, size_t rows_stride, int row_first,
                                                   const AxisCoeffs& v, int oy0, int oy1, int width_bytes, uint8_t* dst,
                                                   size_t dst_stride, std::vector<int32_t>& acc) {
  acc.resize(static_cast<size_t>(width_bytes));
  int32_t* a = acc.data();
  for (int yy = oy0; yy < oy1; ++yy) {
    const int32_t* k = &v.w[static_cast<size_t>(yy) * v.ksize];
    const int y0 = v.start[static_cast<size_t>(yy)] - row_first;
    const int n = v.count[static_cast<size_t>(yy)];
    for (int i = 0; i < width_bytes; ++i) a[i] = 1 << (kPilBits - 1);
    for (int t = 0; t < n; ++t) {
      const uint8_t* r = rows_base + static_cast<size_t>(y0 + t) * rows_stride;
      const int32_t kt = k[t];
      for (int i = 0; i < width_bytes; ++i) a[i] += r[i] * kt;
    }
    uint8_t* d = dst + static_cast<size_t>(yy - oy0) * dst_stride;
    for (int i = 0; i < width_bytes; ++i) d[i] = clip_shift(a[i], kPilBits);
  }
}

// The vertical pass compiled for AVX2 and for baseline x86-64, picked by the CPU tier (core/cpu_tier.h).
[[gnu::target("avx2")]] void pil_vertical_avx2(const uint8_t* rows_base, size_t rows_stride, int row_first,
                                               const AxisCoeffs& v, int oy0, int oy1, int width_bytes, uint8_t* dst,
                                               size_t dst_stride, std::vector<int32_t>& acc) {
  pil_vertical_body(rows_base, rows_stride, row_first, v, oy0, oy1, width_bytes, dst, dst_stride, acc);
}
void pil_vertical_baseline(const uint8_t* rows_base, size_t rows_stride, int row_first, const AxisCoeffs& v, int oy0,
                           int oy1, int width_bytes, uint8_t* dst, size_t dst_stride, std::vector<int32_t>& acc) {
  pil_vertical_body(rows_base, rows_stride, row_first, v, oy0, oy1, width_bytes, dst, dst_stride, acc);
}
void pil_vertical(const uint8_t* rows_base, size_t rows_stride, int row_first, const AxisCoeffs& v, int oy0, int oy1,
                  int width_bytes, uint8_t* dst, size_t dst_stride, std::vector<int32_t>& acc) {
  if (have_avx2())
    pil_vertical_avx2(rows_base, rows_stride, row_first, v, oy0, oy1, width_bytes, dst, dst_stride, acc);
  else
    pil_vertical_baseline(rows_base, rows_stride, row_first, v, oy0, oy1, width_bytes, dst, dst_stride, acc);
}

void resize_pil(const SourceView& src, const AxisCoeffs& h, const AxisCoeffs& v, int ox0, int ox1, int oy0, int oy1,
                ResizeScratch& scratch, uint8_t* dst, size_t dst_stride) {
  const int ow = ox1 - ox0;
  const bool need_h = h.out_size != h.in_size;
  const bool need_v = v.out_size != v.in_size;
  int y_first = oy0, y_last = oy1;
  if (need_v) source_span(v, oy0, oy1, y_first, y_last);
  if (!need_h && !need_v) {
    for (int y = oy0; y < oy1; ++y)
      std::copy_n(src.base + static_cast<size_t>(y - src.y0) * src.stride + static_cast<size_t>(ox0 - src.x0) * 3,
                  static_cast<size_t>(ow) * 3, dst + static_cast<size_t>(y - oy0) * dst_stride);
    return;
  }
  if (!need_v) {  // horizontal only, straight into dst
    pil_horizontal(src, h, oy0, oy1, ox0, ox1, dst, dst_stride);
    return;
  }
  const uint8_t* rows;
  size_t rows_stride;
  if (need_h) {
    const size_t stride = static_cast<size_t>(ow) * 3;
    scratch.u8.resize(stride * static_cast<size_t>(y_last - y_first));
    pil_horizontal(src, h, y_first, y_last, ox0, ox1, scratch.u8.data(), stride);
    rows = scratch.u8.data();
    rows_stride = stride;
  } else {
    rows = src.base + static_cast<size_t>(y_first - src.y0) * src.stride + static_cast<size_t>(ox0 - src.x0) * 3;
    rows_stride = src.stride;
  }
  pil_vertical(rows, rows_stride, y_first, v, oy0, oy1, ow * 3, dst, dst_stride, scratch.i32);
}

// Horizontal sums (not rounded) of the source rows [y_first, y_last) the vertical taps read, for output
// columns [ox0, ox1): out[(y - y_first) * stride + 3 * (x - ox0) + channel]. `Acc` is int32_t (fixed-point
// weights h.w) or float (h.fweights); `clamp_taps` clamps tap positions to the image.
template <typename Acc>
void cv_horizontal(const SourceView& src, const AxisCoeffs& h, const Acc* weights, bool clamp_taps, int ox0, int ox1,
                   int y_first, int y_last, Acc* out) {
  const size_t stride = static_cast<size_t>(ox1 - ox0) * 3;
  for (int y = y_first; y < y_last; ++y) {
    const uint8_t* in = src.base + static_cast<size_t>(y - src.y0) * src.stride - static_cast<ptrdiff_t>(src.x0) * 3;
    Acc* o = out + static_cast<size_t>(y - y_first) * stride;
    for (int xx = ox0; xx < ox1; ++xx) {
      const Acc* k = weights + static_cast<size_t>(xx) * h.ksize;
      Acc s0 = 0, s1 = 0, s2 = 0;
      for (int t = 0; t < h.count[static_cast<size_t>(xx)]; ++t) {
        int x = h.start[static_cast<size_t>(xx)] + t;
        if (clamp_taps) x = clampi(x, 0, h.in_size - 1);
        const uint8_t* p = in + static_cast<size_t>(x) * 3;
        s0 += p[0] * k[t];
        s1 += p[1] * k[t];
        s2 += p[2] * k[t];
      }
      o[0] = s0, o[1] = s1, o[2] = s2;
      o += 3;
    }
  }
}

// Horizontal sums for every source row [y_first, y_last) the vertical taps read, into scratch.i32.
const int32_t* cv_horizontal_fixed(const SourceView& src, const AxisCoeffs& h, int ox0, int ox1, int y_first,
                                   int y_last, ResizeScratch& scratch) {
  const size_t stride = static_cast<size_t>(ox1 - ox0) * 3;
  scratch.i32.resize(stride * static_cast<size_t>(y_last - y_first));
  cv_horizontal<int32_t>(src, h, h.w.data(), h.clamp, ox0, ox1, y_first, y_last, scratch.i32.data());
  return scratch.i32.data();
}

// INTER_LINEAR's vertical pass on 8-bit images (VResizeLinear for uchar, scalar and SIMD alike): each
// horizontal sum (11 fractional bits) is shifted right by 4, multiplied by the 11-bit weight keeping the high
// 16 bits of the product (mulhi), and the two terms are added and rounded by 2 bits.
// Not the exactly rounded (a * b0 + c * b1 + 2^21) >> 22: it can differ by one.
inline uint8_t cv_vertical_linear(int32_t a, int32_t c, int32_t b0, int32_t b1) {
  const int32_t v = (((b0 * (a >> 4)) >> 16) + ((b1 * (c >> 4)) >> 16) + 2) >> 2;
  return static_cast<uint8_t>(std::clamp(v, 0, 255));
}

// INTER_CUBIC's vertical pass: OpenCV's SIMD loop (VResizeCubicVec_32s8u, 8 values per step) converts the
// sums to float, multiplies them by weight / 2^22 and adds S0*b0 + (S1*b1 + (S2*b2 + S3*b3)) in float,
// rounding half to even; the values after the last full step take the fixed-point route.
inline uint8_t cv_vertical_cubic(const int32_t* s, const int32_t* b, bool simd) {
  if (simd) {
    constexpr float kScale = 1.f / static_cast<float>(kCvScale * kCvScale);
    float acc = static_cast<float>(s[3]) * (static_cast<float>(b[3]) * kScale);
    acc = static_cast<float>(s[2]) * (static_cast<float>(b[2]) * kScale) + acc;
    acc = static_cast<float>(s[1]) * (static_cast<float>(b[1]) * kScale) + acc;
    acc = static_cast<float>(s[0]) * (static_cast<float>(b[0]) * kScale) + acc;
    return static_cast<uint8_t>(std::clamp<long>(std::lrint(acc), 0, 255));
  }
  int64_t v = int64_t{1} << (2 * kCvBits - 1);
  for (int t = 0; t < 4; ++t) v += static_cast<int64_t>(s[t]) * b[t];
  return static_cast<uint8_t>(std::clamp<int64_t>(v >> (2 * kCvBits), 0, 255));
}

void resize_cv_interp(const SourceView& src, const AxisCoeffs& h, const AxisCoeffs& v, int ox0, int ox1, int oy0,
                      int oy1, ResizeScratch& scratch, uint8_t* dst, size_t dst_stride) {
  int y_first, y_last;
  source_span(v, oy0, oy1, y_first, y_last);
  const int32_t* sums = cv_horizontal_fixed(src, h, ox0, ox1, y_first, y_last, scratch);
  const size_t stride = static_cast<size_t>(ox1 - ox0) * 3;
  const bool cubic = v.ksize == 4;
  // Row positions [0, simd_end) of the full output row go through the float SIMD loop (cubic only).
  constexpr int kSimdStep = 8;
  const int simd_end = h.out_size * 3 / kSimdStep * kSimdStep - ox0 * 3;
  for (int yy = oy0; yy < oy1; ++yy) {
    const int32_t* k = &v.w[static_cast<size_t>(yy) * v.ksize];
    const int32_t* rows[4];
    for (int t = 0; t < v.ksize; ++t) {
      const int sy = clampi(v.start[static_cast<size_t>(yy)] + t, 0, v.in_size - 1);
      rows[t] = sums + static_cast<size_t>(sy - y_first) * stride;
    }
    uint8_t* d = dst + static_cast<size_t>(yy - oy0) * dst_stride;
    if (!cubic) {
      for (size_t i = 0; i < stride; ++i) d[i] = cv_vertical_linear(rows[0][i], rows[1][i], k[0], k[1]);
      continue;
    }
    for (size_t i = 0; i < stride; ++i) {
      const int32_t s[4] = {rows[0][i], rows[1][i], rows[2][i], rows[3][i]};
      d[i] = cv_vertical_cubic(s, k, static_cast<int>(i) < simd_end);
    }
  }
}

// INTER_AREA by integer factors (resizeAreaFast): integer block sums, divided by rounding half up for 2 x 2
// (its SIMD and scalar loops) and otherwise multiplied by the float 1 / area and rounded half to even.
void resize_cv_area_integer(const SourceView& src, const AxisCoeffs& h, const AxisCoeffs& v, int ox0, int ox1,
                            int oy0, int oy1, ResizeScratch& scratch, uint8_t* dst, size_t dst_stride) {
  int y_first, y_last;
  source_span(v, oy0, oy1, y_first, y_last);
  const int32_t* sums = cv_horizontal_fixed(src, h, ox0, ox1, y_first, y_last, scratch);
  const size_t stride = static_cast<size_t>(ox1 - ox0) * 3;
  const int area = h.ksize * v.ksize;
  const float inv_area = 1.f / static_cast<float>(area);
  const bool half = h.ksize == 2 && v.ksize == 2;
  for (int yy = oy0; yy < oy1; ++yy) {
    const int32_t* r = sums + static_cast<size_t>(v.start[static_cast<size_t>(yy)] - y_first) * stride;
    uint8_t* d = dst + static_cast<size_t>(yy - oy0) * dst_stride;
    for (size_t i = 0; i < stride; ++i) {
      int32_t s = 0;
      for (int t = 0; t < v.ksize; ++t) s += r[static_cast<size_t>(t) * stride + i];
      const long q = half ? (s + 2) >> 2 : std::lrint(static_cast<float>(s) * inv_area);
      d[i] = static_cast<uint8_t>(std::clamp<long>(q, 0, 255));
    }
  }
}

// INTER_AREA by non-integer factors (ResizeArea_Invoker): float sums in OpenCV's order, first along the row
// (0 + p0 * w0 + p1 * w1 ...), then over the rows (r0 * b0 + r1 * b1 ...), rounded half to even.
void resize_cv_area_float(const SourceView& src, const AxisCoeffs& h, const AxisCoeffs& v, int ox0, int ox1,
                          int oy0, int oy1, ResizeScratch& scratch, uint8_t* dst, size_t dst_stride) {
  int y_first, y_last;
  source_span(v, oy0, oy1, y_first, y_last);
  const size_t stride = static_cast<size_t>(ox1 - ox0) * 3;
  scratch.f32.resize(stride * static_cast<size_t>(y_last - y_first));
  cv_horizontal<float>(src, h, h.fweights.data(), false, ox0, ox1, y_first, y_last, scratch.f32.data());
  for (int yy = oy0; yy < oy1; ++yy) {
    const float* k = &v.fweights[static_cast<size_t>(yy) * v.ksize];
    uint8_t* d = dst + static_cast<size_t>(yy - oy0) * dst_stride;
    for (size_t i = 0; i < stride; ++i) {
      float s = 0;
      for (int t = 0; t < v.count[static_cast<size_t>(yy)]; ++t)
        s += scratch.f32[static_cast<size_t>(v.start[static_cast<size_t>(yy)] + t - y_first) * stride + i] * k[t];
      d[i] = static_cast<uint8_t>(std::clamp<long>(std::lrint(s), 0, 255));  // saturate_cast<uchar>(float)
    }
  }
}

bool is_pil(Kernel k) { return k == Kernel::kPilBilinear || k == Kernel::kPilBicubic || k == Kernel::kPilLanczos; }

}  // namespace

CvAlgo cv_algo(Kernel kernel, int in_width, int in_height, int out_width, int out_height) {
  // cv::resize: scale = 1 / inv_scale per axis; "integer" when within DBL_EPSILON of its rounding.
  const double sx = 1.0 / cv_inv_scale(in_width, out_width), sy = 1.0 / cv_inv_scale(in_height, out_height);
  const double ix = std::nearbyint(sx), iy = std::nearbyint(sy);
  const bool integer = std::abs(sx - ix) < DBL_EPSILON && std::abs(sy - iy) < DBL_EPSILON;
  // OpenCV runs INTER_LINEAR at exactly 1/2 x 1/2 as INTER_AREA (the same average of 2 x 2 pixels, faster).
  if (kernel == Kernel::kCvLinear && integer && ix == 2 && iy == 2) return CvAlgo::kAreaInteger;
  // True pixel-area averaging only when no axis grows; otherwise INTER_AREA is a variant of INTER_LINEAR.
  if (kernel == Kernel::kCvArea && sx >= 1 && sy >= 1) return integer ? CvAlgo::kAreaInteger : CvAlgo::kAreaFloat;
  return CvAlgo::kInterp;
}

void build_axis(Kernel kernel, int in_size, int out_size, CvAlgo algo, Axis axis, AxisCoeffs& out) {
  out = AxisCoeffs{};
  out.in_size = in_size;
  out.out_size = out_size;
  out.kernel = kernel;
  if (is_pil(kernel))
    build_pil(kernel, in_size, out_size, out);
  else
    build_cv(kernel, in_size, out_size, algo, axis, out);
}

void source_span(const AxisCoeffs& c, int o0, int o1, int& first, int& last) {
  first = c.in_size;
  last = 0;
  for (int o = o0; o < o1; ++o) {
    int s = c.start[static_cast<size_t>(o)], e = s + c.count[static_cast<size_t>(o)];
    if (c.kfixed > 0) {  // the unrolled kernel reads the padded span (a superset of the exact one)
      s = std::min(s, c.fixed_start[static_cast<size_t>(o)]);
      e = std::max(e, c.fixed_start[static_cast<size_t>(o)] + c.kfixed);
    }
    if (c.clamp) s = clampi(s, 0, c.in_size - 1), e = clampi(e, 1, c.in_size);
    first = std::min(first, s);
    last = std::max(last, e);
  }
  if (last <= first) first = 0, last = std::min(1, c.in_size);
}

const AxisCoeffs& CoeffCache::get(Kernel kernel, int in_size, int out_size, CvAlgo algo, Axis axis) {
  if (is_pil(kernel)) algo = CvAlgo::kInterp, axis = Axis::kHorizontal;  // one table serves both axes
  ++clock_;
  Entry* victim = &entries_[0];
  for (Entry& e : entries_) {
    if (e.stamp != 0 && e.c.kernel == kernel && e.c.in_size == in_size && e.c.out_size == out_size &&
        e.c.algo == algo && e.c.axis == axis) {
      e.stamp = clock_;
      return e.c;
    }
    if (e.stamp < victim->stamp) victim = &e;
  }
  build_axis(kernel, in_size, out_size, algo, axis, victim->c);
  victim->c.algo = algo;
  victim->c.axis = axis;
  victim->stamp = clock_;
  return victim->c;
}

void resize_window(const SourceView& src, const AxisCoeffs& h, const AxisCoeffs& v, int ox0, int ox1, int oy0,
                   int oy1, ResizeScratch& scratch, uint8_t* dst, size_t dst_stride) {
  if (ox1 <= ox0 || oy1 <= oy0) return;
  if (is_pil(h.kernel)) {
    resize_pil(src, h, v, ox0, ox1, oy0, oy1, scratch, dst, dst_stride);
    return;
  }
  switch (h.algo) {
    case CvAlgo::kInterp:
      resize_cv_interp(src, h, v, ox0, ox1, oy0, oy1, scratch, dst, dst_stride);
      break;
    case CvAlgo::kAreaInteger:
      resize_cv_area_integer(src, h, v, ox0, ox1, oy0, oy1, scratch, dst, dst_stride);
      break;
    case CvAlgo::kAreaFloat:
      resize_cv_area_float(src, h, v, ox0, ox1, oy0, oy1, scratch, dst, dst_stride);
      break;
  }
}

}  // namespace inr::image
