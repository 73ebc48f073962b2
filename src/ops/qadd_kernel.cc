// QLinearAdd arithmetic; see qadd_kernel.h for the formula and where it comes from.
#include "ops/qadd_kernel.h"

#include <algorithm>
#include <cmath>

#include "core/cpu_tier.h"
#include "ops/quant_util.h"

namespace inr {

QAddParams qadd_params(float a_scale, int32_t a_zp, float b_scale, int32_t b_zp, float c_scale, int32_t c_zp,
                       DType c_type) {
  QAddParams p;
  p.ra = a_scale / c_scale;
  p.rb = b_scale / c_scale;
  float za = static_cast<float>(a_zp), zb = static_cast<float>(b_zp), zc = static_cast<float>(c_zp);
  float pb = p.rb * zb, pa = p.ra * za;  // rounded products: the second term of each contracted sum
  p.fixed_ab = zc - std::fmaf(p.ra, za, pb);
  p.fixed_ba = zc - std::fmaf(p.rb, zb, pa);
  QRange r = qrange(c_type);
  p.lo = r.lo;
  p.hi = r.hi;
  return p;
}

namespace {

// Clamping before rounding equals saturating after it (the bounds are integers), and keeps the magic-number
// rounding in round_half_even exact.
[[gnu::always_inline]] inline int32_t finish(float v, float lo, float hi) {
  v = v > lo ? v : lo;
  v = v < hi ? v : hi;
  return static_cast<int32_t>(round_half_even(v));
}

// Always inlined: each caller (baseline or AVX2+FMA) gets its own copy compiled for its own target.
template <typename T>
[[gnu::always_inline]] inline void span_loop(const T* a, bool a_scalar, const T* b, bool b_scalar, T* c, int64_t n, const QAddParams& p) {
  const float lo = static_cast<float>(p.lo), hi = static_cast<float>(p.hi);
  if (a_scalar) {
    float f = std::fmaf(static_cast<float>(a[0]), p.ra, p.fixed_ba);
    for (int64_t i = 0; i < n; ++i)
      c[i] = static_cast<T>(finish(std::fmaf(static_cast<float>(b[b_scalar ? 0 : i]), p.rb, f), lo, hi));
  } else if (b_scalar) {
    float f = std::fmaf(static_cast<float>(b[0]), p.rb, p.fixed_ab);
    for (int64_t i = 0; i < n; ++i) c[i] = static_cast<T>(finish(std::fmaf(static_cast<float>(a[i]), p.ra, f), lo, hi));
  } else {
    for (int64_t i = 0; i < n; ++i) {
      float t = std::fmaf(static_cast<float>(b[i]), p.rb, p.fixed_ab);
      c[i] = static_cast<T>(finish(std::fmaf(static_cast<float>(a[i]), p.ra, t), lo, hi));
    }
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
// Compiled with FMA so std::fmaf becomes vfmadd and the loops vectorise; the baseline build calls libm's
// fmaf, which is correctly rounded too, so both give the same bytes.
__attribute__((target("avx2,fma"))) void span_fma(const uint8_t* a, bool as, const uint8_t* b, bool bs, uint8_t* c,
                                                     int64_t n, const QAddParams& p) {
  span_loop(a, as, b, bs, c, n, p);
}
__attribute__((target("avx2,fma"))) void span_fma(const int8_t* a, bool as, const int8_t* b, bool bs, int8_t* c,
                                                     int64_t n, const QAddParams& p) {
  span_loop(a, as, b, bs, c, n, p);
}
bool cpu_has_fma() {
  static const bool has = tier_has_avx2(cpu_tier());  // the tier's avx2 includes FMA
  return has;
}
#endif

}  // namespace

int32_t qadd_value(int32_t a, int32_t b, bool a_scalar, const QAddParams& p) {
  const float lo = static_cast<float>(p.lo), hi = static_cast<float>(p.hi);
  float fa = static_cast<float>(a), fb = static_cast<float>(b);
  if (a_scalar) return finish(std::fmaf(fb, p.rb, std::fmaf(fa, p.ra, p.fixed_ba)), lo, hi);
  return finish(std::fmaf(fa, p.ra, std::fmaf(fb, p.rb, p.fixed_ab)), lo, hi);
}

namespace {

template <typename T>
void span_typed(const void* a, bool a_scalar, const void* b, bool b_scalar, void* c, int64_t n, const QAddParams& p) {
  auto* pa = static_cast<const T*>(a);
  auto* pb = static_cast<const T*>(b);
  auto* pc = static_cast<T*>(c);
#if defined(__x86_64__) && defined(__GNUC__)
  if (cpu_has_fma()) return span_fma(pa, a_scalar, pb, b_scalar, pc, n, p);
#endif
  span_loop(pa, a_scalar, pb, b_scalar, pc, n, p);
}

void span_any(DType type, const void* a, bool a_scalar, const void* b, bool b_scalar, void* c, int64_t n,
              const QAddParams& p) {
  if (type == DType::kU8) return span_typed<uint8_t>(a, a_scalar, b, b_scalar, c, n, p);
  span_typed<int8_t>(a, a_scalar, b, b_scalar, c, n, p);
}

}  // namespace

void qadd_span(DType type, const void* a, bool a_scalar, const void* b, bool b_scalar, void* c, int64_t n,
               const QAddParams& p) {
  constexpr int64_t kChunk = 16384;  // elements per task; below two chunks the OpenMP team is not worth waking
  int64_t chunks = (n + kChunk - 1) / kChunk;
  auto* pa = static_cast<const uint8_t*>(a);
  auto* pb = static_cast<const uint8_t*>(b);
  auto* pc = static_cast<uint8_t*>(c);
#pragma omp parallel for schedule(static) if (chunks > 1)
  for (int64_t k = 0; k < chunks; ++k) {
    int64_t off = k * kChunk, len = std::min(kChunk, n - off);
    span_any(type, a_scalar ? pa : pa + off, a_scalar, b_scalar ? pb : pb + off, b_scalar, pc + off, len, p);
  }
}

}  // namespace inr
