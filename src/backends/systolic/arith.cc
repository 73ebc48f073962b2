// Gemmini's element arithmetic (see arith.h for the sources). The row forms clamp in float before
// rounding with the 1.5 * 2^23 magic addition: rounding and clamping to integer bounds commute, and after
// the clamp |v| <= 128, where the addition rounds half to even exactly. That keeps the loops free of
// library calls, so the compiler vectorises them, with the same results as the scalar forms.
#include "backends/systolic/arith.h"

#include <immintrin.h>

#include <cmath>
#include <limits>

#include "core/cpu_tier.h"

namespace inr::systolic {

namespace {

constexpr float kMagic = 12582912.f;  // 1.5 * 2^23

// RNE of v clamped to [lo, hi] (integers): exact for any float v, NaN -> lo.
inline int32_t clamp_round(float v, float lo, float hi) {
  v = v > lo ? v : lo;
  v = v < hi ? v : hi;
  return static_cast<int32_t>((v + kMagic) - kMagic);
}

}  // namespace

int32_t round_near_even(float x) {
  if (std::isnan(x)) return 0;
  if (x >= 2147483648.f) return std::numeric_limits<int32_t>::max();
  if (x <= -2147483648.f) return std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(std::nearbyint(x));  // the default rounding mode: to nearest, ties to even
}

int32_t rounding_right_shift(int32_t x, int shift) {
  if (shift <= 0) return x;
  if (shift > 31) shift = 31;
  // (x >> s) + (bit[s-1] & (lower bits != 0 | bit[s])): round half to even on the shifted-out bits.
  int32_t q = x >> shift;
  uint32_t u = static_cast<uint32_t>(x);
  uint32_t half = (u >> (shift - 1)) & 1u;
  uint32_t lower = shift >= 2 ? (u & ((1u << (shift - 1)) - 1u)) : 0u;
  uint32_t odd = static_cast<uint32_t>(q) & 1u;
  return q + static_cast<int32_t>(half & ((lower != 0) | odd));
}

int8_t acc_scale(int32_t x, float scale) {
  float v = static_cast<float>(x) * scale;
  return static_cast<int8_t>(clamp_round(v, kElemMin, kElemMax));
}

int8_t mvin_scale(int8_t x, float scale) {
  float v = static_cast<float>(x) * scale;
  return static_cast<int8_t>(clamp_round(v, kElemMin, kElemMax));
}

namespace {

// The row form with explicit vectors: the same float operations in the same order (max_ps(v, lo) is
// v > lo ? v : lo, min_ps(v, hi) is v < hi ? v : hi, as in the scalar loop), then the exact int8 narrowing
// of values already in [-128, 127]. The tail goes through the scalar loop.
// GCC 12 warns that the unmasked AVX-512 intrinsics' own _mm512_undefined_*() pass-through "may be used
// uninitialized" when they are inlined here (a false positive in its header).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
[[gnu::target("avx512f,avx512bw")]] int64_t scale_rows_avx512(const int32_t* acc, int64_t n, float s, float lo,
                                                              float hi, int8_t* out) {
  const __m512 vs = _mm512_set1_ps(s), vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi), m = _mm512_set1_ps(kMagic);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_loadu_si512(acc + i)), vs);
    v = _mm512_min_ps(_mm512_max_ps(v, vlo), vhi);
    v = _mm512_sub_ps(_mm512_add_ps(v, m), m);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm512_cvtepi32_epi8(_mm512_cvttps_epi32(v)));
  }
  return i;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

[[gnu::target("avx2")]] inline __m256i scale8_avx2(const int32_t* p, __m256 vs, __m256 vlo, __m256 vhi, __m256 m) {
  __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))), vs);
  v = _mm256_min_ps(_mm256_max_ps(v, vlo), vhi);
  return _mm256_cvttps_epi32(_mm256_sub_ps(_mm256_add_ps(v, m), m));
}

[[gnu::target("avx2")]] int64_t scale_rows_avx2(const int32_t* acc, int64_t n, float s, float lo, float hi,
                                                int8_t* out) {
  const __m256 vs = _mm256_set1_ps(s), vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi), m = _mm256_set1_ps(kMagic);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    // Two vectors of 8 int32 -> 16 int16 -> 16 int8 (the packs saturate nothing: the values are int8).
    const __m256i w = _mm256_permute4x64_epi64(
        _mm256_packs_epi32(scale8_avx2(acc + i, vs, vlo, vhi, m), scale8_avx2(acc + i + 8, vs, vlo, vhi, m)), 0xD8);
    const __m128i b = _mm_packs_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), b);
  }
  return i;
}

}  // namespace

void scale_and_activate_row(const int32_t* acc, int64_t n, const Epilogue& e, int8_t* out) {
  // Clamping to [lo, hi] in float and rounding is the int8 clip followed by the activation: the bounds are
  // integers inside the int8 range.
  const float lo = static_cast<float>(e.lo()), hi = static_cast<float>(e.hi()), s = e.scale;
  static const CpuTier tier = cpu_tier();
  int64_t i = 0;
  if (tier_has_avx512(tier)) {
    i = scale_rows_avx512(acc, n, s, lo, hi, out);
  } else if (tier_has_avx2(tier)) {
    i = scale_rows_avx2(acc, n, s, lo, hi, out);
  }
  for (; i < n; ++i) {
    float v = static_cast<float>(acc[i]) * s;
    v = v > lo ? v : lo;
    v = v < hi ? v : hi;
    out[i] = static_cast<int8_t>(static_cast<int32_t>((v + kMagic) - kMagic));
  }
}

void resadd_row(const int8_t* a, float a_scale, const int8_t* b, float b_scale, bool relu, int64_t n, int8_t* out) {
  const float lo = kElemMin, hi = kElemMax;
  const int32_t out_lo = relu ? 0 : kElemMin;
  for (int64_t i = 0; i < n; ++i) {
    float va = static_cast<float>(a[i]) * a_scale;
    float vb = static_cast<float>(b[i]) * b_scale;
    va = va > lo ? va : lo;
    va = va < hi ? va : hi;
    vb = vb > lo ? vb : lo;
    vb = vb < hi ? vb : hi;
    int32_t r = static_cast<int32_t>((va + kMagic) - kMagic) + static_cast<int32_t>((vb + kMagic) - kMagic);
    r = r < out_lo ? out_lo : r;
    r = r > kElemMax ? kElemMax : r;
    out[i] = static_cast<int8_t>(r);
  }
}

float global_average_scale(int64_t count, float x_scale, float y_scale) {
  float ratio = x_scale / y_scale;
  float inv = static_cast<float>(1.0 / static_cast<double>(count));  // gemmini.h: (acc_scale_t)(1.0 / (dim*dim))
  return inv * ratio;
}

int32_t global_average_cpu(int32_t sum, int32_t count) { return (sum + count / 2) / count; }

}  // namespace inr::systolic
