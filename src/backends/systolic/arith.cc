// Gemmini's element arithmetic (see arith.h for the sources). The row forms clamp in float before
// rounding with the 1.5 * 2^23 magic addition: rounding and clamping to integer bounds commute, and after
// the clamp |v| <= 128, where the addition rounds half to even exactly. That keeps the loops free of
// library calls, so the compiler vectorises them, with the same results as the scalar forms.
#include "backends/systolic/arith.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

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
  for (; i < n; ++i) out[i] = static_cast<int8_t>(clamp_round(static_cast<float>(acc[i]) * s, lo, hi));
}

namespace {

// One row of the epilogue: out[i] = scale_and_activate(acc[i] (+ acc2[i]) (+ bias[i]), e). Inline so each
// instruction-set build below vectorises it for its own registers.
inline void epilogue_body(const int32_t* acc, const int32_t* acc2, const int32_t* bias, int64_t n, float lo,
                          float hi, float s, int8_t* out) {
  for (int64_t i = 0; i < n; ++i) {
    uint32_t a = static_cast<uint32_t>(acc[i]);  // wrapping int32 sums, like the accumulator's
    if (acc2) a += static_cast<uint32_t>(acc2[i]);
    if (bias) a += static_cast<uint32_t>(bias[i]);
    out[i] = static_cast<int8_t>(clamp_round(static_cast<float>(static_cast<int32_t>(a)) * s, lo, hi));
  }
}

// epilogue_body with the absent operands known at compile time, so each case vectorises without the per-element
// tests; always inlined, so it takes the instruction set of the function it is written in.
[[gnu::always_inline]] inline void epilogue_cases(const int32_t* acc, const int32_t* acc2, const int32_t* bias,
                                                  int64_t n, float lo, float hi, float s, int8_t* out) {
  if (acc2 == nullptr && bias == nullptr) {
    epilogue_body(acc, nullptr, nullptr, n, lo, hi, s, out);
  } else if (acc2 == nullptr) {
    epilogue_body(acc, nullptr, bias, n, lo, hi, s, out);
  } else {
    epilogue_body(acc, acc2, bias, n, lo, hi, s, out);
  }
}

[[gnu::target("avx2")]] void epilogue_avx2(const int32_t* acc, const int32_t* acc2, const int32_t* bias, int64_t n,
                                           float lo, float hi, float s, int8_t* out) {
  epilogue_cases(acc, acc2, bias, n, lo, hi, s, out);
}

void epilogue_baseline(const int32_t* acc, const int32_t* acc2, const int32_t* bias, int64_t n, float lo, float hi,
                       float s, int8_t* out) {
  epilogue_cases(acc, acc2, bias, n, lo, hi, s, out);
}

// The same in AVX-512 intrinsics, 16 at a time, the tail masked: max_ps(v, lo) is `v > lo ? v : lo`,
// min_ps(v, hi) `v < hi ? v : hi` and cvtepi32_ps rounds to nearest even like the cast, exactly the scalar
// steps; the clamped value (|v| <= 128) converts with the embedded round-to-nearest-even (what the magic
// addition does), and the result, in [-128, 127], narrows to int8 exactly.
// (GCC 12 warns that _mm512_undefined_ps, the masked forms' unused source, is uninitialised: PR 105593.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
[[gnu::target("avx512f,avx512bw,avx512vl")]] void epilogue_avx512(const int32_t* acc, const int32_t* acc2, const int32_t* bias,
                                                         int64_t n, float lo, float hi, float s, int8_t* out) {
  const __m512 vs = _mm512_set1_ps(s), vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 k = n - i >= 16 ? __mmask16(0xffff) : static_cast<__mmask16>((1u << (n - i)) - 1u);
    __m512i a = _mm512_maskz_loadu_epi32(k, acc + i);
    if (acc2) a = _mm512_add_epi32(a, _mm512_maskz_loadu_epi32(k, acc2 + i));
    if (bias) a = _mm512_add_epi32(a, _mm512_maskz_loadu_epi32(k, bias + i));
    __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(a), vs);
    v = _mm512_min_ps(_mm512_max_ps(v, vlo), vhi);
    const __m512i r = _mm512_cvt_roundps_epi32(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m128i b = _mm512_cvtsepi32_epi8(r);  // (narrowing in registers: the memory form is slow on Zen 4)
    if (k == 0xffff)
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), b);
    else
      _mm_mask_storeu_epi8(out + i, k, b);
  }
}
#pragma GCC diagnostic pop

// Clamping to [lo, hi] in float and rounding is the int8 clip followed by the activation: the bounds are
// integers inside the int8 range.
void epilogue(const int32_t* acc, const int32_t* acc2, const int32_t* bias, int64_t n, const Epilogue& e, int8_t* out) {
  static const bool avx512 = tier_has_avx512(cpu_tier()), avx2 = tier_has_avx2(cpu_tier());
  const float lo = static_cast<float>(e.lo()), hi = static_cast<float>(e.hi());
  if (avx512)
    epilogue_avx512(acc, acc2, bias, n, lo, hi, e.scale, out);
  else if (avx2)
    epilogue_avx2(acc, acc2, bias, n, lo, hi, e.scale, out);
  else
    epilogue_baseline(acc, acc2, bias, n, lo, hi, e.scale, out);
}

}  // namespace

void scale_and_activate_channels_last(const int32_t* acc, const int32_t* acc2, const int32_t* bias, int64_t rows,
                                      int64_t channels, const Epilogue& e, int8_t* out, int64_t out_plane) {
  const int64_t M = channels;
  // Rows go to the row kernel `R` at a time as one run of R * M values (few channels make short rows), with
  // the bias repeated R times to match.
  constexpr int64_t kRun = 256;
  const int64_t R = M >= kRun ? 1 : kRun / M;
  int32_t bias_rep[kRun];
  const int32_t* b = bias;
  if (bias && R > 1) {
    for (int64_t i = 0; i < R * M; ++i) bias_rep[i] = bias[i % M];
    b = bias_rep;
  }
  auto rows_to = [&](int64_t r0, int64_t r1, int8_t* dst) {  // rows [r0, r1) -> dst, channels-last
    for (int64_t r = r0; r < r1; r += R) {
      const int64_t n = std::min(R, r1 - r) * M;
      epilogue(acc + r * M, acc2 ? acc2 + r * M : nullptr, b, n, e, dst + (r - r0) * M);
    }
  };
  const bool parallel = rows * M >= (int64_t{1} << 14);
  if (out_plane == 0 || M == 1) {  // the channels-last order is the output order (one channel: NCHW is too)
    const int64_t block = std::max<int64_t>(R, (4096 / M / R) * R);  // whole runs, about 4096 values
    const int64_t blocks = (rows + block - 1) / block;
#pragma omp parallel for schedule(static) if (parallel)
    for (int64_t bi = 0; bi < blocks; ++bi) {
      const int64_t r0 = bi * block, r1 = std::min(rows, r0 + block);
      rows_to(r0, r1, out + r0 * M);
    }
    return;
  }
  // Blocks of kPix rows: the int8 results channels-last in a per-thread buffer, then transposed into the
  // planes (kPix bytes, one cache line, per channel).
  constexpr int64_t kPix = 64;
  const int64_t blocks = (rows + kPix - 1) / kPix;
#pragma omp parallel if (parallel)
  {
    thread_local std::vector<int8_t> tmp;
    if (tmp.size() < static_cast<size_t>(kPix * M)) tmp.resize(static_cast<size_t>(kPix * M));
    int8_t* t = tmp.data();
#pragma omp for schedule(static)
    for (int64_t bi = 0; bi < blocks; ++bi) {
      const int64_t r0 = bi * kPix, r1 = std::min(rows, r0 + kPix), np = r1 - r0;
      rows_to(r0, r1, t);
      for (int64_t m = 0; m < M; ++m) {
        int8_t* ym = out + m * out_plane + r0;
        for (int64_t i = 0; i < np; ++i) ym[i] = t[i * M + m];
      }
    }
  }
}

namespace {

inline void resadd_body(const int8_t* a, float a_scale, const int8_t* b, float b_scale, int32_t out_lo, int64_t n,
                        int8_t* out) {
  const float lo = kElemMin, hi = kElemMax;
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

// sat8(RNE(x * scale)) for 8 int8 values, as int32.
[[gnu::target("avx2")]] inline __m256i resadd_term_avx2(const int8_t* p, __m256 scale, __m256 lo, __m256 hi,
                                                        __m256 magic) {
  __m256 v = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
  v = _mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(v, scale), lo), hi);
  return _mm256_cvttps_epi32(_mm256_sub_ps(_mm256_add_ps(v, magic), magic));
}

// The same in AVX2 intrinsics, 8 at a time (GCC turns the scalar clamps into branches): max_ps(v, lo) is
// `v > lo ? v : lo` and min_ps(v, hi) `v < hi ? v : hi`, exactly the scalar steps.
[[gnu::target("avx2")]] void resadd_avx2(const int8_t* a, float a_scale, const int8_t* b, float b_scale,
                                         int32_t out_lo, int64_t n, int8_t* out) {
  const __m256 sa = _mm256_set1_ps(a_scale), sb = _mm256_set1_ps(b_scale), magic = _mm256_set1_ps(kMagic);
  const __m256 lo = _mm256_set1_ps(static_cast<float>(kElemMin)), hi = _mm256_set1_ps(static_cast<float>(kElemMax));
  const __m256i rlo = _mm256_set1_epi32(out_lo), rhi = _mm256_set1_epi32(kElemMax);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256i r = _mm256_add_epi32(resadd_term_avx2(a + i, sa, lo, hi, magic), resadd_term_avx2(b + i, sb, lo, hi, magic));
    r = _mm256_min_epi32(_mm256_max_epi32(r, rlo), rhi);
    __m128i p16 = _mm_packs_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out + i), _mm_packs_epi16(p16, p16));
  }
  resadd_body(a + i, a_scale, b + i, b_scale, out_lo, n - i, out + i);
}

}  // namespace

void resadd_row(const int8_t* a, float a_scale, const int8_t* b, float b_scale, bool relu, int64_t n, int8_t* out) {
  static const bool avx2 = tier_has_avx2(cpu_tier());
  const int32_t out_lo = relu ? 0 : kElemMin;
  if (avx2)
    resadd_avx2(a, a_scale, b, b_scale, out_lo, n, out);
  else
    resadd_body(a, a_scale, b, b_scale, out_lo, n, out);
}

float global_average_scale(int64_t count, float x_scale, float y_scale) {
  float ratio = x_scale / y_scale;
  float inv = static_cast<float>(1.0 / static_cast<double>(count));  // gemmini.h: (acc_scale_t)(1.0 / (dim*dim))
  return inv * ratio;
}

int32_t global_average_cpu(int32_t sum, int32_t count) { return (sum + count / 2) / count; }

}  // namespace inr::systolic
