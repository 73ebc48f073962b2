// The OS / WS tile models and the CPU mode (see dataflow.h for the instruction order each follows).
#include "backends/systolic/dataflow.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "core/cpu_tier.h"
#include "ops/quant_util.h"

namespace inr::systolic {

namespace {

// out[r][c] (+)= sum_k a[r][k] * w[k][c] for r < rows, c < D: one preload + compute pair of the array, on the
// weights as the PEs hold them, widened once per preload to int16 pairs (w2[(p * D + c) * 2 + h] =
// w[2p + h][c]), so the sum is pmaddwd / vpmaddwd (int16 x int16 pair sums into int32: exact for int8
// values). Compiled twice, for AVX2 and for the baseline, like inr's other integer kernels.
// CV <= D: only the first CV columns are computed (the others hold zero weights: a narrow J tile), which
// changes nothing in the columns that are moved out.
template <int D, int CV>
inline void block_mac_body(const int8_t* a, int64_t lda, const int16_t* w2, int32_t* out, int64_t ldo, int rows,
                           int kpairs, bool accumulate) {
  for (int r = 0; r < rows; ++r) {
    int32_t s[CV];
    if (accumulate) {
      std::memcpy(s, out + r * ldo, sizeof(s));
    } else {
      std::fill(s, s + CV, 0);
    }
    const int8_t* ar = a + r * lda;
    for (int p = 0; p < kpairs; ++p) {
      const int32_t a0 = ar[2 * p], a1 = ar[2 * p + 1];
      const int16_t* wp = w2 + p * 2 * D;
      for (int c = 0; c < CV; ++c) s[c] += a0 * wp[2 * c] + a1 * wp[2 * c + 1];
    }
    std::memcpy(out + r * ldo, s, sizeof(s));
  }
}

using BlockFn = void (*)(const int8_t*, int64_t, const int16_t*, int32_t*, int64_t, int, int, bool);

// The one-column case (a depthwise conv's per-channel matmul): out[r][0] (+)= sum_k a[r][k] * w[k][0], the
// column taken out of the pair layout once, zero beyond kv (so the fixed-length loop over D vectorises and
// A's entries beyond kv, whatever they hold, add nothing).
template <int D>
inline void dot_body(const int8_t* a, int64_t lda, const int16_t* w2, int32_t* out, int64_t ldo, int rows, int kv,
                     bool accumulate) {
  int16_t wc[D];
  for (int k = 0; k < D; ++k) wc[k] = k < kv ? w2[(k / 2) * 2 * D + (k % 2)] : int16_t{0};
  for (int r = 0; r < rows; ++r) {
    const int8_t* ar = a + r * lda;
    int32_t sum = 0;
    for (int k = 0; k < D; ++k) sum += static_cast<int32_t>(ar[k]) * static_cast<int32_t>(wc[k]);
    out[r * ldo] = accumulate ? static_cast<int32_t>(static_cast<uint32_t>(out[r * ldo]) + static_cast<uint32_t>(sum)) : sum;
  }
}
using DotFn = void (*)(const int8_t*, int64_t, const int16_t*, int32_t*, int64_t, int, int, bool);
template <int D>
[[gnu::target("avx512f,avx512bw")]] void dot_avx512(const int8_t* a, int64_t lda, const int16_t* w2, int32_t* out,
                                                    int64_t ldo, int rows, int kv, bool accumulate) {
  dot_body<D>(a, lda, w2, out, ldo, rows, kv, accumulate);
}
template <int D>
[[gnu::target("avx2")]] void dot_avx2(const int8_t* a, int64_t lda, const int16_t* w2, int32_t* out, int64_t ldo,
                                      int rows, int kv, bool accumulate) {
  dot_body<D>(a, lda, w2, out, ldo, rows, kv, accumulate);
}
template <int D>
void dot_baseline(const int8_t* a, int64_t lda, const int16_t* w2, int32_t* out, int64_t ldo, int rows, int kv,
                  bool accumulate) {
  dot_body<D>(a, lda, w2, out, ldo, rows, kv, accumulate);
}
template <int D>
DotFn pick_dot_fn() {
  static const DotFn fn = cpu_tier() >= CpuTier::kAvx512 ? &dot_avx512<D>
                          : tier_has_avx2(cpu_tier())    ? &dot_avx2<D>
                                                         : &dot_baseline<D>;
  return fn;
}

template <int D, int CV>
[[gnu::target("avx512f,avx512bw")]] void block_mac_avx512(const int8_t* a, int64_t lda, const int16_t* w2,
                                                          int32_t* out, int64_t ldo, int rows, int kpairs,
                                                          bool accumulate) {
  block_mac_body<D, CV>(a, lda, w2, out, ldo, rows, kpairs, accumulate);
}
template <int D, int CV>
[[gnu::target("avx2")]] void block_mac_avx2(const int8_t* a, int64_t lda, const int16_t* w2, int32_t* out,
                                            int64_t ldo, int rows, int kpairs, bool accumulate) {
  block_mac_body<D, CV>(a, lda, w2, out, ldo, rows, kpairs, accumulate);
}
template <int D, int CV>
void block_mac_baseline(const int8_t* a, int64_t lda, const int16_t* w2, int32_t* out, int64_t ldo, int rows,
                        int kpairs, bool accumulate) {
  block_mac_body<D, CV>(a, lda, w2, out, ldo, rows, kpairs, accumulate);
}

template <int D, int CV>
BlockFn pick_block_fn() {
  static const BlockFn fn = cpu_tier() >= CpuTier::kAvx512      ? &block_mac_avx512<D, CV>
                            : tier_has_avx2(cpu_tier())          ? &block_mac_avx2<D, CV>
                                                                 : &block_mac_baseline<D, CV>;
  return fn;
}

template <int D>
void block_mac_fixed(const int8_t* a, int64_t lda, const int16_t* w2, int32_t* out, int64_t ldo, int rows, int kv,
                     int cols, bool accumulate) {
  const int kpairs = (kv + 1) / 2;
  // One column (a depthwise conv's per-channel matmul) is a dot product per row; otherwise a quarter, half
  // or all of the array's columns.
  if (cols == 1) return pick_dot_fn<D>()(a, lda, w2, out, ldo, rows, kv, accumulate);
  BlockFn fn = cols <= D / 4 ? pick_block_fn<D, D / 4>() : cols <= D / 2 ? pick_block_fn<D, D / 2>() : pick_block_fn<D, D>();
  fn(a, lda, w2, out, ldo, rows, kpairs, accumulate);
}

// DIMs other than 16 (which has its own kernels below): the same pair layout, fixed widths for 8 and 32, a
// run-time width otherwise.
void block_mac(int dim, const int8_t* a, int64_t lda, const int16_t* w2, int32_t* out, int64_t ldo, int rows, int kv,
               int cols, bool accumulate) {
  switch (dim) {
    case 32:
      return block_mac_fixed<32>(a, lda, w2, out, ldo, rows, kv, cols, accumulate);
    case 8:
      return block_mac_fixed<8>(a, lda, w2, out, ldo, rows, kv, cols, accumulate);
    default:
      break;
  }
  const int kpairs = (kv + 1) / 2;
  for (int r = 0; r < rows; ++r) {
    int32_t* o = out + r * ldo;
    if (!accumulate) std::fill(o, o + dim, 0);
    for (int p = 0; p < kpairs; ++p) {
      const int32_t a0 = a[r * lda + 2 * p], a1 = 2 * p + 1 < dim ? a[r * lda + 2 * p + 1] : 0;
      const int16_t* wp = w2 + p * 2 * dim;
      for (int c = 0; c < dim; ++c) o[c] += a0 * wp[2 * c] + a1 * wp[2 * c + 1];
    }
  }
}

// --- DIM 16 (Gemmini's default array): one preload + compute pair per call, with the weights prepared once
// per preload in the layout of the CPU tier's kernel ----------------------------------------------------------
//
//  - avx512_vnni / avx_vnni: vpdpbusd multiplies u8 x s8 in groups of 4 into int32 with no intermediate
//    saturation. A's int8 values are flipped to u8 (a ^ 0x80 = a + 128), so each column gets
//    sum (a + 128) * w = sum a * w + 128 * sum w, and the prepared block carries comp = -128 * colsum(w) to
//    take that back: exact in wrapping int32, like every other sum here.
//  - avx2 / avx512 (no VNNI): int16 pairs, vpmaddwd (int8 values widened: exact).
//  - baseline: the portable pair-layout body above.
// A's and the weights' entries beyond K or J are zero in the scratchpad (mvin zero-fills), so every kernel
// computes all 16 columns; the ones beyond J are never moved out.
enum class Kern16 { kBaseline, kAvx2, kAvxVnni, kVnni512 };

Kern16 kern16() {
  static const Kern16 k = [] {
    const CpuTier t = cpu_tier();
    if (t >= CpuTier::kAvx512Vnni) return Kern16::kVnni512;
    if (t == CpuTier::kAvxVnni) return Kern16::kAvxVnni;
    if (tier_has_avx2(t)) return Kern16::kAvx2;
    return Kern16::kBaseline;
  }();
  return k;
}

// One 16 x 16 weight block as the PEs hold it, in the layouts of the kernels (only the one in use is filled).
struct alignas(64) Block16 {
  int8_t w4[256];              // VNNI: w4[p * 64 + c * 4 + h] = w[4p + h][c]
  int32_t comp[16];            // VNNI: -128 * sum_k w[k][c]
  int16_t w2[256];             // pairs: w2[p * 32 + c * 2 + h] = w[2p + h][c]
  alignas(32) int16_t col[16];  // one column (a depthwise conv's): col[k] = w[k][0]
  alignas(16) int8_t col8[16];   // the same as int8 (the VNNI one-column kernel), and its -128 * sum
  int32_t col_comp;
};

[[gnu::target("avx2")]] void prepare16_pairs_avx2(const int8_t* w, Block16& b) {
  for (int p = 0; p < 8; ++p) {
    const __m128i r0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 32 * p));
    const __m128i r1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 32 * p + 16));
    // (r0[c], r1[c]) byte pairs for c < 8 and c >= 8, sign-extended to int16 pairs.
    _mm256_store_si256(reinterpret_cast<__m256i*>(b.w2 + p * 32), _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(r0, r1)));
    _mm256_store_si256(reinterpret_cast<__m256i*>(b.w2 + p * 32 + 16), _mm256_cvtepi8_epi16(_mm_unpackhi_epi8(r0, r1)));
  }
}

// The quad layout's 4 x 64 bytes from 16 rows of 16 (SSE2 interleaves), and the column sums.
inline void prepare16_quads(const int8_t* w, Block16& b) {
  for (int p = 0; p < 4; ++p) {
    const __m128i r0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 64 * p));
    const __m128i r1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 64 * p + 16));
    const __m128i r2 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 64 * p + 32));
    const __m128i r3 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 64 * p + 48));
    const __m128i a_lo = _mm_unpacklo_epi8(r0, r1), a_hi = _mm_unpackhi_epi8(r0, r1);  // (r0, r1)[c]
    const __m128i b_lo = _mm_unpacklo_epi8(r2, r3), b_hi = _mm_unpackhi_epi8(r2, r3);  // (r2, r3)[c]
    __m128i* out = reinterpret_cast<__m128i*>(b.w4 + 64 * p);
    _mm_store_si128(out + 0, _mm_unpacklo_epi16(a_lo, b_lo));  // columns 0..3
    _mm_store_si128(out + 1, _mm_unpackhi_epi16(a_lo, b_lo));  // 4..7
    _mm_store_si128(out + 2, _mm_unpacklo_epi16(a_hi, b_hi));  // 8..11
    _mm_store_si128(out + 3, _mm_unpackhi_epi16(a_hi, b_hi));  // 12..15
  }
  // The column sums in int16 (|sum| <= 16 * 128), sign-extended bytes added row by row, then -128 * sum in int32.
  __m128i lo = _mm_setzero_si128(), hi = _mm_setzero_si128();  // columns 0..7, 8..15
  for (int k = 0; k < 16; ++k) {
    const __m128i r = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 16 * k));
    lo = _mm_add_epi16(lo, _mm_srai_epi16(_mm_unpacklo_epi8(r, r), 8));
    hi = _mm_add_epi16(hi, _mm_srai_epi16(_mm_unpackhi_epi8(r, r), 8));
  }
  const __m128i s[4] = {_mm_srai_epi32(_mm_unpacklo_epi16(lo, lo), 16), _mm_srai_epi32(_mm_unpackhi_epi16(lo, lo), 16),
                        _mm_srai_epi32(_mm_unpacklo_epi16(hi, hi), 16), _mm_srai_epi32(_mm_unpackhi_epi16(hi, hi), 16)};
  for (int q = 0; q < 4; ++q)
    _mm_store_si128(reinterpret_cast<__m128i*>(b.comp) + q, _mm_sub_epi32(_mm_setzero_si128(), _mm_slli_epi32(s[q], 7)));
}

// Prepares the block at `w` (16 scratchpad rows of 16) for `kern`; a one-column block only needs `col`.
void prepare16(const int8_t* w, Kern16 kern, bool one_col, Block16& b) {
  if (one_col) {
    int32_t sum = 0;
    for (int k = 0; k < 16; ++k) {
      b.col[k] = w[k * 16];
      b.col8[k] = w[k * 16];
      sum += w[k * 16];
    }
    b.col_comp = -128 * sum;
    return;
  }
  switch (kern) {
    case Kern16::kVnni512:
    case Kern16::kAvxVnni: prepare16_quads(w, b); return;
    case Kern16::kAvx2: prepare16_pairs_avx2(w, b); return;
    case Kern16::kBaseline:
      for (int r = 0; r < 16; ++r)
        for (int c = 0; c < 16; ++c) b.w2[(r / 2) * 32 + c * 2 + (r % 2)] = w[r * 16 + c];
      return;
  }
}

// out[r][c] (+)= sum_k a[r][k] * w[k][c], r < rows, all 16 columns; a and out rows are 16 wide (the
// scratchpad and accumulator rows).
// GCC 12 warns that the unmasked AVX-512 intrinsics' own _mm512_undefined_*() pass-through "may be used
// uninitialized" when they are inlined here (a false positive in its header).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
[[gnu::target("avx512f,avx512bw,avx512vnni")]] void block16_vnni512(const int8_t* a, int64_t lda, const Block16& b,
                                                                   int32_t* out, int rows, bool accumulate) {
  const __m512i w0 = _mm512_load_si512(b.w4), w1 = _mm512_load_si512(b.w4 + 64);
  const __m512i w2 = _mm512_load_si512(b.w4 + 128), w3 = _mm512_load_si512(b.w4 + 192);
  const __m512i comp = _mm512_load_si512(b.comp);
  const __m128i flip = _mm_set1_epi8(static_cast<char>(0x80));
  for (int r = 0; r < rows; ++r) {
    const __m128i x = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + lda * r)), flip);
    const __m512i xb = _mm512_broadcast_i32x4(x);
    __m512i s = accumulate ? _mm512_add_epi32(_mm512_loadu_si512(out + 16 * r), comp) : comp;
    s = _mm512_dpbusd_epi32(s, _mm512_shuffle_epi32(xb, _MM_PERM_AAAA), w0);
    s = _mm512_dpbusd_epi32(s, _mm512_shuffle_epi32(xb, _MM_PERM_BBBB), w1);
    s = _mm512_dpbusd_epi32(s, _mm512_shuffle_epi32(xb, _MM_PERM_CCCC), w2);
    s = _mm512_dpbusd_epi32(s, _mm512_shuffle_epi32(xb, _MM_PERM_DDDD), w3);
    _mm512_storeu_si512(out + 16 * r, s);
  }
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

[[gnu::target("avx2,avxvnni")]] void block16_avxvnni(const int8_t* a, int64_t lda, const Block16& b, int32_t* out,
                                                     int rows, bool accumulate) {
  const __m256i comp0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b.comp));
  const __m256i comp1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b.comp + 8));
  const __m128i flip = _mm_set1_epi8(static_cast<char>(0x80));
  const __m256i* w = reinterpret_cast<const __m256i*>(b.w4);  // w[2p]: columns 0..7 of quad p, w[2p + 1]: 8..15
  for (int r = 0; r < rows; ++r) {
    const __m128i x = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + lda * r)), flip);
    const __m256i xb = _mm256_broadcastsi128_si256(x);
    __m256i* o = reinterpret_cast<__m256i*>(out + 16 * r);
    __m256i s0 = accumulate ? _mm256_add_epi32(_mm256_loadu_si256(o), comp0) : comp0;
    __m256i s1 = accumulate ? _mm256_add_epi32(_mm256_loadu_si256(o + 1), comp1) : comp1;
#define INR_QUAD(p, imm)                                            \
  {                                                                 \
    const __m256i q = _mm256_shuffle_epi32(xb, imm);                \
    s0 = _mm256_dpbusd_avx_epi32(s0, q, _mm256_load_si256(w + 2 * (p)));     \
    s1 = _mm256_dpbusd_avx_epi32(s1, q, _mm256_load_si256(w + 2 * (p) + 1)); \
  }
    INR_QUAD(0, 0x00) INR_QUAD(1, 0x55) INR_QUAD(2, 0xAA) INR_QUAD(3, 0xFF)
#undef INR_QUAD
    _mm256_storeu_si256(o, s0);
    _mm256_storeu_si256(o + 1, s1);
  }
}

[[gnu::target("avx2")]] void block16_avx2(const int8_t* a, int64_t lda, const Block16& b, int32_t* out, int rows,
                                          bool accumulate) {
  const __m256i* w = reinterpret_cast<const __m256i*>(b.w2);  // w[2p]: columns 0..7 of pair p, w[2p + 1]: 8..15
  for (int r = 0; r < rows; ++r) {
    const __m128i a8 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + lda * r));
    // int16 pairs 0..3 and 4..7 of the row, each repeated in both 128-bit lanes (vpshufd stays in its lane).
    const __m256i lo = _mm256_broadcastsi128_si256(_mm_cvtepi8_epi16(a8));
    const __m256i hi = _mm256_broadcastsi128_si256(_mm_cvtepi8_epi16(_mm_srli_si128(a8, 8)));
    __m256i* o = reinterpret_cast<__m256i*>(out + 16 * r);
    __m256i s0 = accumulate ? _mm256_loadu_si256(o) : _mm256_setzero_si256();
    __m256i s1 = accumulate ? _mm256_loadu_si256(o + 1) : _mm256_setzero_si256();
#define INR_PAIR(src, p, imm)                                                                  \
  {                                                                                           \
    const __m256i q = _mm256_shuffle_epi32(src, imm);                                         \
    s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(q, _mm256_load_si256(w + 2 * (p))));          \
    s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(q, _mm256_load_si256(w + 2 * (p) + 1)));      \
  }
    INR_PAIR(lo, 0, 0x00) INR_PAIR(lo, 1, 0x55) INR_PAIR(lo, 2, 0xAA) INR_PAIR(lo, 3, 0xFF)
    INR_PAIR(hi, 4, 0x00) INR_PAIR(hi, 5, 0x55) INR_PAIR(hi, 6, 0xAA) INR_PAIR(hi, 7, 0xFF)
#undef INR_PAIR
    _mm256_storeu_si256(o, s0);
    _mm256_storeu_si256(o + 1, s1);
  }
}

// Rows a[0..8) of 16 bytes against the column w (16 int16 weights), the eight sums in one register.
[[gnu::target("avx2"), gnu::always_inline]] inline __m256i column_sums8_avx2(const int8_t* a, __m256i w) {
  __m256i p[8];
  for (int i = 0; i < 8; ++i)
    p[i] = _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + 16 * i))), w);
  const __m256i h01 = _mm256_hadd_epi32(p[0], p[1]), h23 = _mm256_hadd_epi32(p[2], p[3]);
  const __m256i h45 = _mm256_hadd_epi32(p[4], p[5]), h67 = _mm256_hadd_epi32(p[6], p[7]);
  const __m256i q0 = _mm256_hadd_epi32(h01, h23), q1 = _mm256_hadd_epi32(h45, h67);
  return _mm256_add_epi32(_mm256_permute2x128_si256(q0, q1, 0x20), _mm256_permute2x128_si256(q0, q1, 0x31));
}
// One column: out[r][0] (+)= sum_k a[r][k] * col[k] for r < rows. Eight rows at a time: one vpmaddwd per
// row against the column, then a tree of horizontal adds gives the eight sums in one register.
[[gnu::target("avx2")]] void dot16_block_avx2(const int8_t* a, const Block16& b, int32_t* out, int rows,
                                              bool accumulate) {
  const __m256i w = _mm256_load_si256(reinterpret_cast<const __m256i*>(b.col));
  for (int r0 = 0; r0 < rows; r0 += 8) {
    // All 8 rows are read (the scratchpad block has 16), only the live ones stored.
    const __m256i sum = column_sums8_avx2(a + 16 * r0, w);
    alignas(32) int32_t s[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(s), sum);
    const int n = std::min(8, rows - r0);
    for (int i = 0; i < n; ++i) {
      int32_t* o = out + 16 * (r0 + i);
      *o = accumulate ? static_cast<int32_t>(static_cast<uint32_t>(*o) + static_cast<uint32_t>(s[i])) : s[i];
    }
  }
}

void block16_baseline(const int8_t* a, int64_t lda, const Block16& b, int32_t* out, int rows, bool accumulate) {
  block_mac_body<16, 16>(a, lda, b.w2, out, 16, rows, 8, accumulate);
}

// The same on avx512_vnni, sixteen rows at a time: four rows per register, flipped to u8 (the -128 * column
// sum takes it back, as in block16_vnni512), one vpdpbusd each against the column repeated, which leaves four
// partial sums per row; a 4 x 4 dword transpose per 128-bit lane adds them, a permute puts the rows in order.
// Reads the 16-row blocks whole (the scratchpad blocks have 16 rows), stores only the live rows.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"  // GCC 12 _mm512_broadcast_i32x4 false positive (its undefined source)
#endif
// Rows a[0..16) of 16 bytes against the column w (repeated per 128-bit lane), rows in order, without the
// -128 * column-sum term.
[[gnu::target("avx512f,avx512bw,avx512vnni"), gnu::always_inline]] inline __m512i column_sums16_vnni512(const int8_t* a, __m512i w) {
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  // Lane q of the transposed sum holds rows q, 4 + q, 8 + q, 12 + q: row i sits at (i % 4) * 4 + i / 4.
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  __m512i p[4];
  for (int j = 0; j < 4; ++j)
    p[j] = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_xor_si512(_mm512_loadu_si512(a + 64 * j), flip), w);
  const __m512i s01 = _mm512_add_epi32(_mm512_unpacklo_epi32(p[0], p[1]), _mm512_unpackhi_epi32(p[0], p[1]));
  const __m512i s23 = _mm512_add_epi32(_mm512_unpacklo_epi32(p[2], p[3]), _mm512_unpackhi_epi32(p[2], p[3]));
  const __m512i t = _mm512_add_epi32(_mm512_unpacklo_epi64(s01, s23), _mm512_unpackhi_epi64(s01, s23));
  return _mm512_permutexvar_epi32(order, t);
}
[[gnu::target("avx512f,avx512bw,avx512vnni")]] void dot16_block_vnni512(const int8_t* a, const Block16& b, int32_t* out,
                                                                       int rows, bool accumulate) {
  const __m512i w = _mm512_broadcast_i32x4(_mm_load_si128(reinterpret_cast<const __m128i*>(b.col8)));
  const __m512i comp = _mm512_set1_epi32(b.col_comp);
  for (int r0 = 0; r0 < rows; r0 += 16) {
    const __m512i sum = _mm512_add_epi32(column_sums16_vnni512(a + 16 * r0, w), comp);
    alignas(64) int32_t s[16];
    _mm512_store_si512(s, sum);
    const int n = std::min(16, rows - r0);
    int32_t* o = out + 16 * r0;
    if (accumulate) {
      for (int i = 0; i < n; ++i) o[16 * i] = static_cast<int32_t>(static_cast<uint32_t>(o[16 * i]) + static_cast<uint32_t>(s[i]));
    } else {
      for (int i = 0; i < n; ++i) o[16 * i] = s[i];
    }
  }
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

void dot16_block_baseline(const int8_t* a, const Block16& b, int32_t* out, int rows, bool accumulate) {
  for (int r = 0; r < rows; ++r) {
    int32_t sum = 0;
    for (int k = 0; k < 16; ++k) sum += static_cast<int32_t>(a[16 * r + k]) * b.col[k];
    int32_t* o = out + 16 * r;
    *o = accumulate ? static_cast<int32_t>(static_cast<uint32_t>(*o) + static_cast<uint32_t>(sum)) : sum;
  }
}

// A one-column WS tile that is its output tile's only K tile (a depthwise conv's per-channel matmul), its bias
// mvin, computes and the accumulator side of its mvout in one pass (TileRunner::ws_one_column): for r < rows,
// sums[r] = acc[16 r] = add + sum_k a[r][k] * w[k][0] in wrapping int32 (add: the repeating bias, or 0), i.e.
// what the accumulator's column 0 holds after the bias rows and the computes, and what the mvout then reads.
// The same kernels as dot16_block_*, with the bias folded into the sum and the sums also written back to back
// (sums has room for rows rounded up to the kernel's block: 16 on avx512_vnni, 8 on avx2).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"  // GCC 12 _mm512_broadcast_i32x4 false positive (its undefined source)
#endif
[[gnu::target("avx512f,avx512bw,avx512vnni")]] void dot16_sums_vnni512(const int8_t* a, const Block16& b, int32_t add,
                                                                      int32_t* acc, int32_t* sums, int rows) {
  const __m512i w = _mm512_broadcast_i32x4(_mm_load_si128(reinterpret_cast<const __m128i*>(b.col8)));
  const __m512i comp =
      _mm512_set1_epi32(static_cast<int32_t>(static_cast<uint32_t>(b.col_comp) + static_cast<uint32_t>(add)));
  for (int r0 = 0; r0 < rows; r0 += 16) {
    _mm512_storeu_si512(sums + r0, _mm512_add_epi32(column_sums16_vnni512(a + 16 * r0, w), comp));
    const int n = std::min(16, rows - r0);
    int32_t* o = acc + 16 * r0;
    const int32_t* s = sums + r0;
    if (n == 16) {
      for (int i = 0; i < 16; i += 4) o[16 * i] = s[i], o[16 * i + 16] = s[i + 1], o[16 * i + 32] = s[i + 2], o[16 * i + 48] = s[i + 3];
    } else {
      for (int i = 0; i < n; ++i) o[16 * i] = s[i];
    }
  }
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

[[gnu::target("avx2")]] void dot16_sums_avx2(const int8_t* a, const Block16& b, int32_t add, int32_t* acc, int32_t* sums,
                                             int rows) {
  const __m256i w = _mm256_load_si256(reinterpret_cast<const __m256i*>(b.col));
  const __m256i vadd = _mm256_set1_epi32(add);
  for (int r0 = 0; r0 < rows; r0 += 8) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(sums + r0), _mm256_add_epi32(column_sums8_avx2(a + 16 * r0, w), vadd));
    const int n = std::min(8, rows - r0);
    for (int i = 0; i < n; ++i) acc[16 * (r0 + i)] = sums[r0 + i];
  }
}

void dot16_sums_baseline(const int8_t* a, const Block16& b, int32_t add, int32_t* acc, int32_t* sums, int rows) {
  for (int r = 0; r < rows; ++r) {
    uint32_t sum = static_cast<uint32_t>(add);
    for (int k = 0; k < 16; ++k) sum += static_cast<uint32_t>(static_cast<int32_t>(a[16 * r + k]) * b.col[k]);
    sums[r] = acc[16 * r] = static_cast<int32_t>(sum);
  }
}

inline void dot16_sums(Kern16 kern, const int8_t* a, const Block16& b, int32_t add, int32_t* acc, int32_t* sums, int rows) {
  if (kern == Kern16::kBaseline) return dot16_sums_baseline(a, b, add, acc, sums, rows);
  if (kern == Kern16::kVnni512) return dot16_sums_vnni512(a, b, add, acc, sums, rows);
  return dot16_sums_avx2(a, b, add, acc, sums, rows);
}

// One preload + compute pair on a prepared block; A's rows `lda` apart (16 in the tile models; the conv loop
// model's computes read pixels `stride` rows apart), the one-column kernels only for lda 16.
inline void mac16(Kern16 kern, bool one_col, const int8_t* a, const Block16& b, int32_t* out, int rows, bool accumulate,
                  int64_t lda = 16) {
  if (one_col) {
    if (kern == Kern16::kBaseline) return dot16_block_baseline(a, b, out, rows, accumulate);
    if (kern == Kern16::kVnni512) return dot16_block_vnni512(a, b, out, rows, accumulate);
    return dot16_block_avx2(a, b, out, rows, accumulate);
  }
  switch (kern) {
    case Kern16::kVnni512: return block16_vnni512(a, lda, b, out, rows, accumulate);
    case Kern16::kAvxVnni: return block16_avxvnni(a, lda, b, out, rows, accumulate);
    case Kern16::kAvx2: return block16_avx2(a, lda, b, out, rows, accumulate);
    case Kern16::kBaseline: return block16_baseline(a, lda, b, out, rows, accumulate);
  }
}

// A thread's staging buffers for the models (the PEs' weights, the OS tile's prepared B blocks, mvin / mvout
// staging), kept between calls so a run allocates nothing once they have grown.
struct Staging {
  Block16 pe16;                 // DIM 16: the block the PEs hold
  std::vector<Block16> os16;    // DIM 16, OS: the tile's B blocks
  std::vector<int16_t> pe_weights, os_weights;  // other DIMs: pair layout
  std::vector<int32_t> pe_sums, bias_row, gather;
  std::vector<int8_t> staged;
};
Staging& thread_staging() {
  thread_local Staging s;
  return s;
}

// dst rows [0, rows) (16 int32 each, back to back) = row: the row held in registers, one store per row per
// register (one on AVX-512, two on AVX2, four on the baseline).
[[gnu::target("avx512f")]] void fill_rows16_avx512(int32_t* dst, const int32_t* row, int64_t rows) {
  const __m512i v = _mm512_loadu_si512(row);
  for (int64_t r = 0; r < rows; ++r) _mm512_storeu_si512(dst + 16 * r, v);
}
[[gnu::target("avx2")]] void fill_rows16_avx2(int32_t* dst, const int32_t* row, int64_t rows) {
  const __m256i v0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row));
  const __m256i v1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + 8));
  for (int64_t r = 0; r < rows; ++r) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 16 * r), v0);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 16 * r + 8), v1);
  }
}
void fill_rows16_baseline(int32_t* dst, const int32_t* row, int64_t rows) {
  const __m128i* v = reinterpret_cast<const __m128i*>(row);
  const __m128i v0 = _mm_loadu_si128(v), v1 = _mm_loadu_si128(v + 1), v2 = _mm_loadu_si128(v + 2), v3 = _mm_loadu_si128(v + 3);
  __m128i* d = reinterpret_cast<__m128i*>(dst);
  for (int64_t r = 0; r < rows; ++r, d += 4) {
    _mm_storeu_si128(d, v0);
    _mm_storeu_si128(d + 1, v1);
    _mm_storeu_si128(d + 2, v2);
    _mm_storeu_si128(d + 3, v3);
  }
}
inline void fill_rows16(int32_t* dst, const int32_t* row, int64_t rows) {
  static const auto fn = tier_has_avx512(cpu_tier()) ? &fill_rows16_avx512
                         : tier_has_avx2(cpu_tier()) ? &fill_rows16_avx2
                                                     : &fill_rows16_baseline;
  fn(dst, row, rows);
}

// DIM 16, OS: the PE sums (rows of 16 int32) to accumulator rows, added (wrapping) or overwriting. A
// one-column block moves its one column: the others hold nothing of the problem (the dot kernel computes
// column 0 only), and accumulator columns beyond J are never moved out.
inline void move_pe_sums16(const int32_t* src, int32_t* dst, int rows, bool one_col, bool accumulate) {
  if (one_col) {
    for (int r = 0; r < rows; ++r)
      dst[16 * r] = accumulate ? static_cast<int32_t>(static_cast<uint32_t>(dst[16 * r]) + static_cast<uint32_t>(src[16 * r]))
                               : src[16 * r];
    return;
  }
  for (int r = 0; r < rows * 4; ++r) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src) + r);
    __m128i* d = reinterpret_cast<__m128i*>(dst) + r;
    _mm_storeu_si128(d, accumulate ? _mm_add_epi32(_mm_loadu_si128(d), v) : v);
  }
}

alignas(16) constexpr int8_t kOnes16[16] = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1};

// Column 0 of `rows` DIM 16 accumulator rows: set to v (a one-column bias mvin), or read out into col (a
// one-column mvout). Four rows per step (the loop's own instructions were most of the work).
inline void set_column16(int32_t* acc, int32_t v, int64_t rows) {
  int64_t r = 0;
  for (; r + 4 <= rows; r += 4, acc += 64) acc[0] = v, acc[16] = v, acc[32] = v, acc[48] = v;
  for (; r < rows; ++r, acc += 16) acc[0] = v;
}
inline void get_column16(const int32_t* acc, int64_t rows, int32_t* col) {
  int64_t r = 0;
  for (; r + 4 <= rows; r += 4, acc += 64, col += 4) col[0] = acc[0], col[1] = acc[16], col[2] = acc[32], col[3] = acc[48];
  for (; r < rows; ++r, acc += 16) *col++ = acc[0];
}

// mvin of `rows` rows of 16 bytes (masked to the valid columns) from `from` (rows ld apart) to consecutive
// scratchpad rows at dst; `readable` of them (from the first) may be read as 16 bytes whole, the rest are
// read bounded by `end`.
inline void mvin_rows16(const int8_t* from, int64_t ld, int64_t rows, int64_t readable, int64_t valid,
                        const int8_t* end, int8_t* dst) {
  const __m128i mask = load_bytes16(kOnes16, valid, kOnes16 + 16);
  int64_t r = 0;
  auto row = [&](int64_t i) {
    return _mm_and_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(from + i * ld)), mask);
  };
  for (; r + 4 <= readable; r += 4) {
    const __m128i a = row(r), b = row(r + 1), c = row(r + 2), d = row(r + 3);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + r * 16), a);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + r * 16 + 16), b);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + r * 16 + 32), c);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + r * 16 + 48), d);
  }
  for (; r < readable; ++r) _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + r * 16), row(r));
  for (; r < rows; ++r) _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + r * 16), load_bytes16(from + r * ld, valid, end));
}

// mvin_rows16 for rows 16 bytes apart in DRAM too (a depthwise conv's A): four rows per masked 64-byte load and
// store on AVX-512 (only each row's `valid` bytes are read; the rest of the row is written as zeros).
[[gnu::target("avx512f,avx512bw")]] void mvin_rows16_packed_avx512(const int8_t* from, int64_t rows, int64_t valid,
                                                                  int8_t* dst) {
  uint64_t row_bytes = valid >= 16 ? 0xFFFF : (uint64_t{1} << valid) - 1;
  const __mmask64 cols = row_bytes | row_bytes << 16 | row_bytes << 32 | row_bytes << 48;
  int64_t r = 0;
  for (; r + 4 <= rows; r += 4) _mm512_storeu_si512(dst + r * 16, _mm512_maskz_loadu_epi8(cols, from + r * 16));
  if (r < rows) {
    const __mmask64 live = (uint64_t{1} << (16 * (rows - r))) - 1;
    _mm512_mask_storeu_epi8(dst + r * 16, live, _mm512_maskz_loadu_epi8(cols & live, from + r * 16));
  }
}

// memcpy with the sizes of DIM 16's rows (16 int8, 16 int32, one int32) made compile-time constants, so
// they inline instead of calling the library for a few bytes.
inline void copy_small(void* dst, const void* src, size_t n) {
  switch (n) {
    case 4: std::memcpy(dst, src, 4); return;
    case 16: std::memcpy(dst, src, 16); return;
    case 64: std::memcpy(dst, src, 64); return;
    default: std::memcpy(dst, src, n); return;
  }
}

// Geometry of one tile: blocks and element extents along each dim.
struct Tile {
  int64_t i0, j0, k0;           // tile index
  int64_t Ib, Jb, Kb;           // blocks in this tile
  int64_t row0, col0, k_0;      // first element row of A/C, column of B/C, and k
};

class TileRunner {
 public:
  TileRunner(const MatmulProblem& p, const TileSizes& t, const Config& c, Scratch& s, DataflowCounters& n)
      : p_(p), t_(t), s_(s), n_(n), g_(thread_staging()), dim_(c.dim), mbl_(std::max(1, c.max_block_len())),
        fast_(c.dim == 16), kern_(kern16()) {}

  // mvin of `blocks` blocks of A or B rows: rows [r0, r0 + rows) of a DRAM matrix of `src_rows` rows,
  // columns [c0, c0 + blocks * DIM) clipped to `cols`, to scratchpad rows addr(b) + r; zero fill beyond.
  template <class Addr>
  void mvin_int8(const int8_t* src, int64_t ld, int64_t src_rows, int64_t r0, int64_t rows_valid, int64_t c0,
                 int64_t cols, int64_t blocks, Addr addr) {
    const int64_t dim = dim_;  // a local: the int8 stores below may alias *this
    if (dim == 16) {
      // One 16-byte row at a time: a load (masked for a partial row) and a store.
      const int8_t* end = src + (src_rows - 1) * ld + cols;
      const int64_t live_rows = std::min<int64_t>(rows_valid, 16);
      for (int64_t b = 0; b < blocks; ++b) {
        const int64_t cb = c0 + b * 16;
        const int64_t valid = std::clamp<int64_t>(cols - cb, 0, 16);
        int8_t* dst = s_.sp_row(addr(b));
        const int64_t live = valid > 0 ? live_rows : 0;
        const int8_t* from = src + r0 * ld + cb;
        if (live > 0 && end - (from + (live - 1) * ld) >= 16) {
          // Every row's 16 bytes are readable: plain loads, masked once for a partial row.
          const __m128i mask = load_bytes16(kOnes16, valid, kOnes16 + 16);
          for (int64_t r = 0; r < live; ++r)
            _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + r * 16),
                             _mm_and_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(from + r * ld)), mask));
        } else {
          for (int64_t r = 0; r < live; ++r)
            _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + r * 16), load_bytes16(from + r * ld, valid, end));
        }
        if (live < 16) std::memset(dst + live * 16, 0, static_cast<size_t>((16 - live) * 16));
      }
      const int64_t valid_cols = std::clamp<int64_t>(cols - c0, 0, blocks * 16);
      n_.mvin_rows += rows_valid;
      n_.mvin_bytes += rows_valid * valid_cols;
      return;
    }
    for (int64_t b = 0; b < blocks; ++b) {
      int64_t cb = c0 + b * dim;
      int64_t valid = std::clamp<int64_t>(cols - cb, 0, dim);
      // The block's rows are consecutive scratchpad rows (DIM bytes each): full rows are copied with a
      // fixed-size copy for the usual DIM, the rest byte by byte with zero fill.
      int8_t* dst = s_.sp_row(addr(b));
      const int64_t live = valid > 0 ? std::min<int64_t>(rows_valid, dim) : 0;
      const int8_t* from = src + r0 * ld + cb;
      if (valid == 16 && dim == 16) {
        for (int64_t r = 0; r < live; ++r) std::memcpy(dst + r * 16, from + r * ld, 16);
      } else if (dim == 16) {
        // A partial row (K or J not a multiple of 16): zero the row, then copy the valid bytes.
        for (int64_t r = 0; r < live; ++r) {
          int8_t* d = dst + r * 16;
          std::memset(d, 0, 16);
          std::memcpy(d, from + r * ld, static_cast<size_t>(valid));
        }
      } else {
        for (int64_t r = 0; r < live; ++r) {
          int8_t* d = dst + r * dim;
          const int8_t* f = from + r * ld;
          for (int64_t col = 0; col < valid; ++col) d[col] = f[col];
          for (int64_t col = valid; col < dim; ++col) d[col] = 0;
        }
      }
      if (live < dim) std::memset(dst + live * dim, 0, static_cast<size_t>((dim - live) * dim));
    }
    int64_t valid_cols = std::clamp<int64_t>(cols - c0, 0, blocks * dim_);
    n_.mvin_rows += rows_valid;
    n_.mvin_bytes += rows_valid * valid_cols;
  }

  // mvin of the repeating bias into accumulator rows [base, base + rows): overwrite.
  void mvin_bias(int64_t base, int64_t col0, int64_t rows) {
    int64_t valid = std::clamp<int64_t>(p_.J - col0, 0, dim_);
    if (dim_ == 16) {
      // Accumulator columns beyond J are never moved out, so what they hold does not matter: a one-column
      // block (a depthwise conv's) gets its one int32 per row, wider ones whole rows (zero beyond J).
      if (valid == 1) {
        set_column16(s_.acc_row(base), p_.bias[col0], rows);
      } else {
        alignas(64) int32_t row[16] = {};
        for (int64_t c = 0; c < valid; ++c) row[c] = p_.bias[col0 + c];
        fill_rows16(s_.acc_row(base), row, rows);
      }
      n_.mvin_rows += rows;
      n_.mvin_bytes += rows * valid * 4;
      return;
    }
    std::vector<int32_t>& row = g_.bias_row;
    row.resize(static_cast<size_t>(dim_));
    std::memcpy(row.data(), p_.bias + col0, static_cast<size_t>(valid) * 4);
    std::fill(row.begin() + valid, row.end(), 0);
    for (int64_t r = 0; r < rows; ++r) copy_small(s_.acc_row(base + r), row.data(), static_cast<size_t>(dim_) * 4);
    n_.mvin_rows += rows;
    n_.mvin_bytes += rows * valid * 4;
  }

  // mvout of accumulator rows through the scaler and activation to C.
  void mvout(int64_t base, int64_t row0, int64_t rows, int64_t col0) {
    int64_t valid = std::clamp<int64_t>(p_.J - col0, 0, dim_);
    if (valid == p_.ldc && rows > 1) {
      // The C rows are back to back (a one-block-wide C, e.g. a depthwise conv's one channel): gather the rows'
      // valid sums and scale them in one call (the scaler is element-wise).
      if (valid == 1 && dim_ == 16) {
        std::vector<int32_t>& col = g_.gather;
        col.resize(static_cast<size_t>(rows));
        get_column16(s_.acc_row(base), rows, col.data());
        scale_and_activate_row(col.data(), rows, p_.epilogue, p_.C + row0 * p_.ldc + col0);
      } else {
        std::vector<int32_t>& gather = g_.gather;
        gather.resize(static_cast<size_t>(rows * valid));
        for (int64_t r = 0; r < rows; ++r)
          copy_small(gather.data() + r * valid, s_.acc_row(base + r), static_cast<size_t>(valid) * 4);
        scale_and_activate_row(gather.data(), rows * valid, p_.epilogue, p_.C + row0 * p_.ldc + col0);
      }
    } else if (valid == dim_ && rows > 1) {
      // Full-width rows: the accumulator rows are back to back, so one call scales them all into a staging
      // block, whose rows then go to C.
      std::vector<int8_t>& staged = g_.staged;
      staged.resize(static_cast<size_t>(rows * dim_));
      scale_and_activate_row(s_.acc_row(base), rows * dim_, p_.epilogue, staged.data());
      for (int64_t r = 0; r < rows; ++r)
        copy_small(p_.C + (row0 + r) * p_.ldc + col0, staged.data() + r * dim_, static_cast<size_t>(dim_));
    } else {
      for (int64_t r = 0; r < rows; ++r)
        scale_and_activate_row(s_.acc_row(base + r), valid, p_.epilogue, p_.C + (row0 + r) * p_.ldc + col0);
    }
    n_.mvout_rows += rows;
    n_.mvout_bytes += rows * valid;
  }

  int64_t rows_of(const Tile& t, int64_t i) const { return std::min<int64_t>(dim_, p_.I - t.row0 - i * dim_); }
  int cols_of(const Tile& t, int64_t j) const { return static_cast<int>(std::min<int64_t>(dim_, p_.J - t.col0 - j * dim_)); }
  int kvalid(const Tile& t, int64_t k) const { return static_cast<int>(std::min<int64_t>(dim_, p_.K - t.k_0 - k * dim_)); }

  // sp_tiled_matmul_ws (one LOOP_WS) on scratchpad half `sp_half` and accumulator half `acc_half`.
  void ws(const Tile& t, int sp_half, int acc_half, bool last_k) {
    if (fast_ && t.Kb == 1 && t.Jb == 1) return ws_one_block(t, sp_half, acc_half, last_k);
    const int64_t half_rows = s_.sp_rows() / 2;
    const int64_t a_base = sp_half * half_rows;
    const int64_t b_base = (sp_half + 1) * half_rows - t.Kb * t.Jb * dim_;
    const int64_t c_base = acc_half * (s_.acc_rows() / 2);
    const bool has_d = p_.bias != nullptr && t.k0 == 0;
    // LdD
    if (has_d)
      for (int64_t j = 0; j < t.Jb; ++j)
        for (int64_t i = 0; i < t.Ib; ++i) mvin_bias(c_base + (i * t.Jb + j) * dim_, t.col0 + j * dim_, rows_of(t, i));
    // LdA: for k (step MAX_BLOCK_LEN): for i
    for (int64_t k = 0; k < t.Kb; k += mbl_)
      for (int64_t i = 0; i < t.Ib; ++i) {
        int64_t blocks = std::min<int64_t>(mbl_, t.Kb - k);
        mvin_int8(p_.A, p_.lda, p_.I, t.row0 + i * dim_, rows_of(t, i), t.k_0 + k * dim_, p_.K, blocks,
                  [&](int64_t b) { return a_base + (i * t.Kb + k + b) * dim_; });
      }
    // LdB: for k: for j (step MAX_BLOCK_LEN)
    for (int64_t k = 0; k < t.Kb; ++k)
      for (int64_t j = 0; j < t.Jb; j += mbl_) {
        int64_t blocks = std::min<int64_t>(mbl_, t.Jb - j);
        mvin_int8(p_.B, p_.ldb, p_.K, t.k_0 + k * dim_, kvalid(t, k), t.col0 + j * dim_, p_.J, blocks,
                  [&](int64_t b) { return b_base + (k * t.Jb + j + b) * dim_; });
      }
    // Ex: for k: for j: for i; the weights B(k, j) are preloaded into the PEs when i == 0.
    for (int64_t k = 0; k < t.Kb; ++k)
      for (int64_t j = 0; j < t.Jb; ++j)
        for (int64_t i = 0; i < t.Ib; ++i) {
          if (i == 0) {
            preload_weights(b_base + (k * t.Jb + j) * dim_, cols_of(t, j) == 1);
            ++n_.weight_preloads;
          }
          const bool accumulate = has_d || t.k0 > 0 || k > 0;
          const int8_t* a = s_.sp_row(a_base + (i * t.Kb + k) * dim_);
          int32_t* acc = s_.acc_row(c_base + (i * t.Jb + j) * dim_);
          if (fast_) {
            mac16(kern_, cols_of(t, j) == 1, a, g_.pe16, acc, static_cast<int>(rows_of(t, i)), accumulate);
          } else {
            block_mac(dim_, a, dim_, g_.pe_weights.data(), acc, dim_, static_cast<int>(rows_of(t, i)), kvalid(t, k),
                      cols_of(t, j), accumulate);
          }
          ++n_.preloads;
          ++n_.computes;
        }
    // StC after the last K tile.
    if (last_k)
      for (int64_t j = 0; j < t.Jb; ++j)
        for (int64_t i = 0; i < t.Ib; ++i)
          mvout(c_base + (i * t.Jb + j) * dim_, t.row0 + i * dim_, rows_of(t, i), t.col0 + j * dim_);
  }

  // ws() for DIM 16 and a tile of one K block and one J block (a depthwise conv's per-channel matmul, a narrow
  // matmul): the same instructions in the same order, with each step's loop over the row blocks i run as one
  // pass, because the blocks' rows are consecutive in every memory: A rows i * 16 + r in DRAM and from the
  // half's start in the scratchpad (i * Kb + k with Kb 1), C rows (i * Jb + j with Jb 1) in the accumulator and
  // in C. So LdD is one run of bias rows, LdA one run of A rows (the last block's rows beyond I zero-filled),
  // the preload of B(0, 0) is followed by the Ib computes as one kernel call over the rows (the kernels take
  // rows one at a time), and StC moves all rows out through one scaler call. Counters as per block.
  void ws_one_block(const Tile& t, int sp_half, int acc_half, bool last_k) {
    const int64_t half_rows = s_.sp_rows() / 2;
    const int64_t a_base = sp_half * half_rows;
    const int64_t b_base = (sp_half + 1) * half_rows - 16;
    const int64_t c_base = acc_half * (s_.acc_rows() / 2);
    const int64_t rows = std::min<int64_t>(t.Ib * 16, p_.I - t.row0);  // live rows of the tile
    const int J = cols_of(t, 0);
    const bool one_col = J == 1, has_d = p_.bias != nullptr && t.k0 == 0;
    // One column and the output tile's only K tile (every depthwise conv's tile): LdD, the computes and the
    // mvout's reads of the accumulator are one pass (ws_one_column_pass).
    const bool fused = one_col && t.k0 == 0 && last_k && !p_.step_by_step;
    // LdD: for i: the bias rows of C(i, 0).
    if (has_d && fused) {
      n_.mvin_rows += rows;
      n_.mvin_bytes += rows * 4;
    } else if (has_d) {
      int32_t* dst = s_.acc_row(c_base);
      if (one_col) {
        set_column16(dst, p_.bias[t.col0], rows);
      } else {
        alignas(64) int32_t row[16] = {};
        std::memcpy(row, p_.bias + t.col0, static_cast<size_t>(J) * 4);
        fill_rows16(dst, row, rows);
      }
      n_.mvin_rows += rows;
      n_.mvin_bytes += rows * J * 4;
    }
    // LdA: for i: A(i, 0), K columns from k_0 (zero beyond), rows beyond I zero.
    {
      const int64_t valid = std::clamp<int64_t>(p_.K - t.k_0, 0, 16);
      const int8_t* from = p_.A + t.row0 * p_.lda + t.k_0;
      const int8_t* end = p_.A + (p_.I - 1) * p_.lda + p_.K;
      int8_t* dst = s_.sp_row(a_base);
      // Rows whose 16 bytes are all readable: plain loads and one mask; the last few: bounded loads.
      const int64_t readable = end - from >= 16 ? std::min<int64_t>(rows, (end - from - 16) / p_.lda + 1) : 0;
      static const bool avx512 = tier_has_avx512(cpu_tier());
      if (p_.lda == 16 && avx512) {
        mvin_rows16_packed_avx512(from, rows, valid, dst);
      } else {
        mvin_rows16(from, p_.lda, rows, readable, valid, end, dst);
      }
      const int64_t block_rows = cdiv(rows, 16) * 16;
      if (rows < block_rows) std::memset(dst + rows * 16, 0, static_cast<size_t>((block_rows - rows) * 16));
      n_.mvin_rows += rows;
      n_.mvin_bytes += rows * valid;
    }
    // LdB: B(0, 0).
    mvin_int8(p_.B, p_.ldb, p_.K, t.k_0, kvalid(t, 0), t.col0, p_.J, 1, [&](int64_t) { return b_base; });
    // Ex: preload B(0, 0) (i == 0), then the computes for every i.
    preload_weights(b_base, one_col);
    ++n_.weight_preloads;
    if (fused) return ws_one_column_pass(t, a_base, c_base, rows, has_d);
    mac16(kern_, one_col, s_.sp_row(a_base), g_.pe16, s_.acc_row(c_base), static_cast<int>(rows), has_d || t.k0 > 0);
    n_.preloads += t.Ib;
    n_.computes += t.Ib;
    // StC after the last K tile.
    if (last_k) mvout(c_base, t.row0, rows, t.col0);
  }

  // The rest of ws_one_block for one column and a single K tile, after LdA, LdB and the preload: the bias
  // mvin (LdD, counted by the caller), the Ib computes and the accumulator reads of the mvout (StC, this tile
  // is the last K tile) go through the accumulator's column 0 once instead of three times (each of its rows is
  // its own 64-byte line, and a tile's 512 rows are 32 KiB): dot16_sums writes each row's bias + dot product
  // there, the value the bias rows and the computes leave, and also back to back, the column the mvout reads;
  // the scaler then takes that column as mvout does. Every memory ends as the step-by-step order leaves it
  // (LdD writes nothing but column 0, which the computes then overwrite with bias + sum) and the counters are
  // the same; the step-by-step path (MatmulProblem::step_by_step) is the oracle of this one in the tests.
  void ws_one_column_pass(const Tile& t, int64_t a_base, int64_t c_base, int64_t rows, bool has_d) {
    std::vector<int32_t>& sums = g_.gather;
    sums.resize(static_cast<size_t>(cdiv(rows, 16) * 16));
    dot16_sums(kern_, s_.sp_row(a_base), g_.pe16, has_d ? p_.bias[t.col0] : 0, s_.acc_row(c_base), sums.data(),
               static_cast<int>(rows));
    n_.preloads += t.Ib;
    n_.computes += t.Ib;
    // StC: the scaler over the column (element-wise), into C's rows ldc apart.
    int8_t* c = p_.C + t.row0 * p_.ldc + t.col0;
    if (p_.ldc == 1) {
      scale_and_activate_row(sums.data(), rows, p_.epilogue, c);
    } else {
      std::vector<int8_t>& staged = g_.staged;
      staged.resize(static_cast<size_t>(rows));
      scale_and_activate_row(sums.data(), rows, p_.epilogue, staged.data());
      for (int64_t r = 0; r < rows; ++r) c[r * p_.ldc] = staged[static_cast<size_t>(r)];
    }
    n_.mvout_rows += rows;
    n_.mvout_bytes += rows;
  }

  // sp_tiled_matmul_os: the whole scratchpad and accumulator, sums kept in the PEs over k.
  void os(const Tile& t, bool last_k) {
    const int64_t a_base = 0;
    const int64_t b_base = s_.sp_rows() - t.Kb * t.Jb * dim_;
    const int64_t c_base = 0;
    const bool has_d = p_.bias != nullptr && t.k0 == 0;
    if (has_d)
      for (int64_t i = 0; i < t.Ib; ++i)
        for (int64_t j = 0; j < t.Jb; ++j) mvin_bias(c_base + (i * t.Jb + j) * dim_, t.col0 + j * dim_, rows_of(t, i));
    for (int64_t j = 0; j < t.Jb; j += mbl_)
      for (int64_t k = 0; k < t.Kb; ++k) {
        int64_t blocks = std::min<int64_t>(mbl_, t.Jb - j);
        mvin_int8(p_.B, p_.ldb, p_.K, t.k_0 + k * dim_, kvalid(t, k), t.col0 + j * dim_, p_.J, blocks,
                  [&](int64_t b) { return b_base + (k * t.Jb + j + b) * dim_; });
      }
    for (int64_t i = 0; i < t.Ib; ++i)
      for (int64_t k = 0; k < t.Kb; k += mbl_) {
        int64_t blocks = std::min<int64_t>(mbl_, t.Kb - k);
        mvin_int8(p_.A, p_.lda, p_.I, t.row0 + i * dim_, rows_of(t, i), t.k_0 + k * dim_, p_.K, blocks,
                  [&](int64_t b) { return a_base + (i * t.Kb + k + b) * dim_; });
      }
    std::vector<int32_t>& pe_sums = g_.pe_sums;
    pe_sums.resize(static_cast<size_t>(dim_) * dim_);
    // Every B block of the tile streams through the PEs once per row block i; the emulation prepares each
    // block from the scratchpad once per tile (after its mvin) instead of once per compute.
    const size_t wblock = static_cast<size_t>((dim_ + 1) / 2) * 2 * dim_;
    if (fast_) {
      g_.os16.resize(static_cast<size_t>(t.Kb * t.Jb));
      for (int64_t k = 0; k < t.Kb; ++k)
        for (int64_t j = 0; j < t.Jb; ++j)
          prepare16(s_.sp_row(b_base + (k * t.Jb + j) * 16), kern_, cols_of(t, j) == 1,
                    g_.os16[static_cast<size_t>(k * t.Jb + j)]);
    } else {
      if (dim_ % 2 != 0) {
        g_.os_weights.assign(static_cast<size_t>(t.Kb * t.Jb) * wblock, 0);
      } else {
        g_.os_weights.resize(static_cast<size_t>(t.Kb * t.Jb) * wblock);
      }
      for (int64_t kj = 0; kj < t.Kb * t.Jb; ++kj) widen_block(b_base + kj * dim_, g_.os_weights.data() + kj * wblock);
    }
    for (int64_t i = 0; i < t.Ib; ++i)
      for (int64_t j = 0; j < t.Jb; ++j) {
        const int rows = static_cast<int>(rows_of(t, i));
        for (int64_t k = 0; k < t.Kb; ++k) {
          // preload(GARBAGE D: the PE sums start at 0 on k == 0), compute(A(i, k), B(k, j)): B streams in.
          const int8_t* a = s_.sp_row(a_base + (i * t.Kb + k) * dim_);
          if (fast_) {
            mac16(kern_, cols_of(t, j) == 1, a, g_.os16[static_cast<size_t>(k * t.Jb + j)], pe_sums.data(), rows, k > 0);
          } else {
            const int16_t* w = g_.os_weights.data() + (k * t.Jb + j) * wblock;
            block_mac(dim_, a, dim_, w, pe_sums.data(), dim_, rows, kvalid(t, k), cols_of(t, j), k > 0);
          }
          ++n_.preloads;
          ++n_.computes;
        }
        // The PE sums leave to C(i, j) with the last k: added to the bias / previous K tiles, or overwriting.
        const bool accumulate = has_d || t.k0 > 0;
        if (fast_) {
          move_pe_sums16(pe_sums.data(), s_.acc_row(c_base + (i * t.Jb + j) * 16), rows, cols_of(t, j) == 1, accumulate);
          continue;
        }
        for (int r = 0; r < rows; ++r) {
          int32_t* dst = s_.acc_row(c_base + (i * t.Jb + j) * dim_ + r);
          const int32_t* src = pe_sums.data() + r * dim_;
          if (accumulate) {
            for (int c = 0; c < dim_; ++c) dst[c] = static_cast<int32_t>(static_cast<uint32_t>(dst[c]) + static_cast<uint32_t>(src[c]));
          } else {
            copy_small(dst, src, static_cast<size_t>(dim_) * 4);
          }
        }
      }
    if (last_k)
      for (int64_t i = 0; i < t.Ib; ++i)
        for (int64_t j = 0; j < t.Jb; ++j)
          mvout(c_base + (i * t.Jb + j) * dim_, t.row0 + i * dim_, rows_of(t, i), t.col0 + j * dim_);
  }

 private:
  // The PEs' weight registers (WS) / the B operand in flight (OS), widened once per preload into the pair
  // layout of block_mac (an odd DIM's last pair is padded with zeros).
  void preload_weights(int64_t sp_row, bool one_col) {
    if (fast_) return prepare16(s_.sp_row(sp_row), kern_, one_col, g_.pe16);
    std::vector<int16_t>& w = g_.pe_weights;
    const int pairs = (dim_ + 1) / 2;
    // Every entry is written below when DIM is even; an odd DIM's last pair keeps its zero padding.
    if (dim_ % 2 != 0) {
      w.assign(static_cast<size_t>(pairs) * 2 * dim_, 0);
    } else {
      w.resize(static_cast<size_t>(pairs) * 2 * dim_);
    }
    widen_block(sp_row, w.data());
  }
  // The DIM x DIM block at scratchpad row `sp_row` into block_mac's pair layout at `out` (entries of an odd
  // DIM's last pair are left as they are: zero).
  void widen_block(int64_t sp_row, int16_t* out) {
    const int dim = dim_;
    for (int r = 0; r < dim; ++r) {
      const int8_t* src = s_.sp_row(sp_row + r);
      int16_t* dst = out + (r / 2) * 2 * dim + (r % 2);
      for (int c = 0; c < dim; ++c) dst[2 * c] = src[c];
    }
  }

  const MatmulProblem& p_;
  const TileSizes& t_;
  Scratch& s_;
  DataflowCounters& n_;
  Staging& g_;
  int dim_;
  int mbl_;
  bool fast_;   // DIM 16: the prepared-block kernels
  Kern16 kern_;
};

// ---- the conv loop (LOOP_CONV_WS), see dataflow.h -------------------------------------------------------

// The conv loop's NCHW <-> pixel-row copies on AVX-512, 64 pixels at a time: four 16 x 16 byte transposes at once,
// one per 128-bit lane (the byte interleaves stay in their lane: afterwards lane L of v[c] holds column c of lane
// L's block), and a 4 x 4 transpose of 128-bit lanes between those lanes and 64-byte runs of four pixel rows.
// Masked loads and stores: nothing outside the n pixels is read or written.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12: the unmasked shuffle's undefined pass-through
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
[[gnu::target("avx512f,avx512bw")]] inline void transpose16x16_i8_x4(__m512i v[16]) {
  for (int round = 0; round < 4; ++round) {
    __m512i u[16];
    for (int i = 0; i < 8; ++i) {
      u[2 * i] = _mm512_unpacklo_epi8(v[i], v[i + 8]);
      u[2 * i + 1] = _mm512_unpackhi_epi8(v[i], v[i + 8]);
    }
    for (int i = 0; i < 16; ++i) v[i] = u[i];
  }
}
// z[k] lane L = (a, b, c, d)[L] lane k.
[[gnu::target("avx512f")]] inline void transpose_lanes4(__m512i z[4], __m512i a, __m512i b, __m512i c, __m512i d) {
  const __m512i t0 = _mm512_shuffle_i64x2(a, b, 0x44), t1 = _mm512_shuffle_i64x2(a, b, 0xEE);  // a0 a1 b0 b1 | a2 a3 b2 b3
  const __m512i t2 = _mm512_shuffle_i64x2(c, d, 0x44), t3 = _mm512_shuffle_i64x2(c, d, 0xEE);
  z[0] = _mm512_shuffle_i64x2(t0, t2, 0x88), z[1] = _mm512_shuffle_i64x2(t0, t2, 0xDD);
  z[2] = _mm512_shuffle_i64x2(t1, t3, 0x88), z[3] = _mm512_shuffle_i64x2(t1, t3, 0xDD);
}
inline __mmask64 first_bytes(int64_t n) { return n >= 64 ? ~__mmask64{0} : (__mmask64{1} << n) - 1; }

// LdInput of n consecutive pixels: chs <= 16 channel rows (`plane` bytes apart from src) to n scratchpad rows of
// 16 bytes at dst, channels beyond chs zero.
[[gnu::target("avx512f,avx512bw")]] void pixels_to_rows16_avx512(const int8_t* src, int64_t plane, int64_t chs, int64_t n,
                                                                int8_t* dst) {
  for (int64_t p0 = 0; p0 < n; p0 += 64) {
    const int64_t m = std::min<int64_t>(64, n - p0);
    __m512i v[16];
    for (int64_t ch = 0; ch < 16; ++ch)
      v[ch] = ch < chs ? _mm512_maskz_loadu_epi8(first_bytes(m), src + ch * plane + p0) : _mm512_setzero_si512();
    transpose16x16_i8_x4(v);  // lane L of v[c]: pixel p0 + 16 L + c
    for (int g = 0; g < 4; ++g) {
      __m512i z[4];
      transpose_lanes4(z, v[4 * g], v[4 * g + 1], v[4 * g + 2], v[4 * g + 3]);  // z[L]: pixels 16 L + 4 g .. + 3
      for (int L = 0; L < 4; ++L) {
        const int64_t first = 16 * L + 4 * g, live = std::clamp<int64_t>(m - first, 0, 4);
        if (live > 0) _mm512_mask_storeu_epi8(dst + (p0 + first) * 16, first_bytes(16 * live), z[L]);
      }
    }
  }
}

// mvout of n consecutive pixels: their scaled rows (16 channel bytes each, back to back at src) to J <= 16
// channel rows (`plane` bytes apart from dst).
[[gnu::target("avx512f,avx512bw")]] void rows16_to_pixels_avx512(const int8_t* src, int64_t n, int64_t J, int8_t* dst,
                                                                int64_t plane) {
  for (int64_t p0 = 0; p0 < n; p0 += 64) {
    const int64_t m = std::min<int64_t>(64, n - p0);
    __m512i w[16];  // w[q]: pixels 4 q .. 4 q + 3
    for (int64_t q = 0; q < 16; ++q)
      w[q] = 4 * q < m ? _mm512_maskz_loadu_epi8(first_bytes(16 * (m - 4 * q)), src + (p0 + 4 * q) * 16) : _mm512_setzero_si512();
    __m512i v[16];  // v[4 g + k] lane L: pixel 16 L + 4 g + k, i.e. lane k of w[4 L + g]
    for (int g = 0; g < 4; ++g) transpose_lanes4(v + 4 * g, w[g], w[4 + g], w[8 + g], w[12 + g]);
    transpose16x16_i8_x4(v);  // v[j]: channel j of the 64 pixels
    for (int64_t j = 0; j < J; ++j) _mm512_mask_storeu_epi8(dst + j * plane + p0, first_bytes(m), v[j]);
  }
}

// The same two rows at a time for rows of n <= 32 pixels (a tile of part of the output width): lanes 0 and 1
// hold row a's pixels, lanes 2 and 3 row b's (b may be absent: null).
[[gnu::target("avx512f,avx512bw,avx512vl")]] void pixels_to_rows16_x2_avx512(const int8_t* src_a, const int8_t* src_b,
                                                                            int64_t plane, int64_t chs, int64_t n,
                                                                            int8_t* dst_a, int8_t* dst_b) {
  const __mmask32 k = n >= 32 ? ~__mmask32{0} : (__mmask32{1} << n) - 1;
  __m512i v[16];
  for (int64_t ch = 0; ch < 16; ++ch) {
    if (ch >= chs) {
      v[ch] = _mm512_setzero_si512();
      continue;
    }
    const __m256i a = _mm256_maskz_loadu_epi8(k, src_a + ch * plane);
    const __m256i b = src_b ? _mm256_maskz_loadu_epi8(k, src_b + ch * plane) : _mm256_setzero_si256();
    v[ch] = _mm512_inserti64x4(_mm512_castsi256_si512(a), b, 1);
  }
  transpose16x16_i8_x4(v);  // lane L of v[c]: pixel 16 (L % 2) + c of row L / 2
  for (int g = 0; g < 4; ++g) {
    __m512i z[4];
    transpose_lanes4(z, v[4 * g], v[4 * g + 1], v[4 * g + 2], v[4 * g + 3]);  // z[L]: pixels 16 (L % 2) + 4 g .. + 3
    for (int L = 0; L < 4; ++L) {
      int8_t* dst = L < 2 ? dst_a : dst_b;
      const int64_t first = 16 * (L % 2) + 4 * g, live = std::clamp<int64_t>(n - first, 0, 4);
      if (dst && live > 0) _mm512_mask_storeu_epi8(dst + first * 16, first_bytes(16 * live), z[L]);
    }
  }
}

[[gnu::target("avx512f,avx512bw,avx512vl")]] void rows16_to_pixels_x2_avx512(const int8_t* src_a, const int8_t* src_b,
                                                                            int64_t n, int64_t J, int8_t* dst_a,
                                                                            int8_t* dst_b, int64_t plane) {
  __m512i w[16];  // w[q], q < 8: row a's pixels 4 q .. 4 q + 3; q >= 8: row b's 4 (q - 8) ..
  for (int64_t q = 0; q < 16; ++q) {
    const int8_t* src = q < 8 ? src_a : src_b;
    const int64_t first = 4 * (q % 8);
    w[q] = src && first < n ? _mm512_maskz_loadu_epi8(first_bytes(16 * std::min<int64_t>(4, n - first)), src + first * 16)
                            : _mm512_setzero_si512();
  }
  __m512i v[16];
  for (int g = 0; g < 4; ++g) transpose_lanes4(v + 4 * g, w[g], w[4 + g], w[8 + g], w[12 + g]);
  transpose16x16_i8_x4(v);  // v[j]: channel j, row a's pixels in lanes 0 and 1, row b's in 2 and 3
  const __mmask32 k = n >= 32 ? ~__mmask32{0} : (__mmask32{1} << n) - 1;
  for (int64_t j = 0; j < J; ++j) {
    _mm256_mask_storeu_epi8(dst_a + j * plane, k, _mm512_castsi512_si256(v[j]));
    if (dst_b) _mm256_mask_storeu_epi8(dst_b + j * plane, k, _mm512_extracti64x4_epi64(v[j], 1));
  }
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

// The pixel repeater's writes (LdInput with the first-layer optimisation) for a tile's n consecutive scratchpad
// rows of 16 bytes, after their mvin: bytes [rep * chs, (rep + 1) * chs) of row a become the first chs bytes of
// row a + rep, for 0 < rep < repeats (repeats * chs <= 16) and a + rep < n; the first chs bytes of a row are
// its pixel's, which no such write changes, so four rows at a time in place give what the repeater's pixel order
// gives.
[[gnu::target("avx512f,avx512bw")]] void repeat_pixels_avx512(int8_t* rows, int64_t n, int64_t chs, int64_t repeats) {
  __m512i ctrl[16];  // ctrl[rep]: byte j of each lane takes byte (j - rep * chs) mod 16 of its lane
  __mmask64 bytes[16];  // bytes[rep]: [rep * chs, (rep + 1) * chs) of each lane
  for (int64_t rep = 1; rep < repeats; ++rep) {
    alignas(64) int8_t c[64];
    uint64_t m = 0;
    for (int j = 0; j < 64; ++j) {
      const int64_t in_lane = j % 16;
      c[j] = static_cast<int8_t>((in_lane - rep * chs) & 15);
      if (in_lane >= rep * chs && in_lane < (rep + 1) * chs) m |= uint64_t{1} << j;
    }
    ctrl[rep] = _mm512_load_si512(c);
    bytes[rep] = m;
  }
  for (int64_t a = 0; a < n; a += 4) {
    const __mmask64 live = first_bytes(16 * std::min<int64_t>(4, n - a));
    __m512i out = _mm512_maskz_loadu_epi8(live, rows + a * 16);
    for (int64_t rep = 1; rep < repeats && a + rep < n; ++rep) {
      const __mmask64 from = first_bytes(16 * std::min<int64_t>(4, n - a - rep));  // rows a + L with a + L + rep < n
      const __m512i x = _mm512_maskz_loadu_epi8(from, rows + (a + rep) * 16);
      out = _mm512_mask_mov_epi8(out, bytes[rep] & from, _mm512_shuffle_epi8(x, ctrl[rep]));
    }
    _mm512_mask_storeu_epi8(rows + a * 16, live, out);
  }
}

// The origin and extent of one sp_tiled_conv call, in the order of tiled_conv's loops.
struct ConvTile {
  int64_t b, porow, pocol, poch, krow, kcol, kch;
  int64_t batches, porows, pocols, pochs, krows, kcols, kchs;
};

class ConvRunner {
 public:
  ConvRunner(const ConvProblem& p, const ConvTiling& t, const Config& c, Scratch& s, DataflowCounters& n)
      : p_(p), t_(t), s_(s), n_(n), dim_(c.dim), mbl_(std::max(1, c.max_block_len())), min_rows_(c.ws_min_rows) {
    const ConvDims& d = p.d;
    // First-layer optimisation: with few input channels one K block holds several kernel columns (the
    // cycle model's rule, from the tiling's channel count).
    mpr_ = (t.downsample || d.dilation > 1 || t.kchs > dim_) ? 1 : std::min<int64_t>(dim_ / t.kchs, t.kcols);
    const int pairs = (dim_ + 1) / 2;
    pe_weights_.assign(static_cast<size_t>(pairs) * 2 * dim_, 0);
    x_end_ = p.x + d.batch * d.in_c * d.in_h * d.in_w;
    w_end_ = p.w + d.k_h * d.k_w * d.in_c * d.out_c;
  }

  void run(const ConvTile& t, int sp_half, int acc_half) {
    const ConvDims& d = p_.d;
    const int64_t dim = dim_;
    const bool pooled = d.pooled();
    const int64_t pool_size = pooled ? d.pool_size : 1, pool_stride = pooled ? d.pool_stride : 1;
    const int64_t pool_pad = pooled ? d.pool_pad : 0;
    const int64_t out_h = d.conv_out_h(), out_w = d.conv_out_w();
    // Conv outputs under the tile (the pooling windows overhang the conv output at its edges), as in
    // cycle_model.cc's conv_ws_cost_tiled.
    const int64_t orow = t.porow * pool_stride - pool_pad, ocol = t.pocol * pool_stride - pool_pad;
    const int64_t orows_full = t.porows * pool_stride + pool_size - 1;
    const int64_t ocols_full = t.pocols * pool_stride + pool_size - 1;
    const int64_t pupad = orow < 0 ? -orow : 0, plpad = ocol < 0 ? -ocol : 0;
    const int64_t pdpad = std::max<int64_t>(0, orow + orows_full - out_h);
    const int64_t prpad = std::max<int64_t>(0, ocol + ocols_full - out_w);
    const int64_t orows = orows_full - pupad - pdpad, ocols = ocols_full - plpad - prpad;
    const int64_t orow_s = std::max<int64_t>(orow, 0), ocol_s = std::max<int64_t>(ocol, 0);
    // The input window (conv padding included) and its scratchpad geometry.
    const int ds = t_.downsample ? 1 : 0;
    const int64_t dk_rows = t.krows + (d.dilation - 1) * (t.krows - 1);
    const int64_t dk_cols = t.kcols + (d.dilation - 1) * (t.kcols - 1);
    const int64_t irow0 = orow_s * d.stride + t.krow * d.dilation - d.pad;
    const int64_t icol0 = ocol_s * d.stride + t.kcol * d.dilation - d.pad;
    const int64_t irows = (orows * d.stride + dk_rows - 1) >> ds, icols = (ocols * d.stride + dk_cols - 1) >> ds;
    const int64_t stride = ds ? 1 : d.stride;  // between output pixels, in scratchpad pixels
    const bool first_k = t.krow == 0 && t.kcol == 0 && t.kch == 0;
    const bool last_k = t.krow + t.krows >= d.k_h && t.kcol + t.kcols >= d.k_w && t.kch + t.kchs >= d.in_c;
    const int64_t n_ob = cdiv(t.pochs, dim), n_kb = cdiv(t.kchs, dim);
    const int64_t half = s_.sp_rows() / 2;
    const int64_t a_base = sp_half * half, a_plane = t.batches * irows * icols;
    const int64_t b_per_och = t.krows * t.kcols * t.kchs;
    const int64_t b_base = (sp_half + 1) * half - n_ob * b_per_och;
    const int64_t c_base = acc_half * (s_.acc_rows() / 2), c_plane = t.batches * orows * ocols;
    auto A = [&](int64_t kb, int64_t bb, int64_t r, int64_t col) {
      return a_base + kb * a_plane + (bb * irows + r) * icols + col;
    };
    auto B = [&](int64_t ob, int64_t kr, int64_t kc, int64_t ci) { return b_base + ob * b_per_och + (kr * t.kcols + kc) * t.kchs + ci; };
    auto C = [&](int64_t ob, int64_t bb, int64_t r, int64_t col) { return c_base + ob * c_plane + (bb * orows + r) * ocols + col; };

    // LdBias: for b, orow, ocol (DIM pixels), och block: I rows of J int32 (DRAM stride 0: the same J values).
    if (first_k) {
      // The och blocks' bias rows (zero beyond J), made once per tile; the I accumulator rows of one mvin are
      // consecutive, so DIM 16 stores them from registers.
      bias_rows_.assign(static_cast<size_t>(n_ob * dim), 0);
      if (p_.bias)
        for (int64_t ob = 0; ob < n_ob; ++ob)
          std::memcpy(bias_rows_.data() + ob * dim, p_.bias + t.poch + ob * dim,
                      static_cast<size_t>(std::min(dim, t.pochs - ob * dim)) * 4);
      if (dim == 16) {
        // An och block's accumulator rows C(ob, b, orow, ocol) are one consecutive run over the tile's pixels, and
        // every mvin of that block writes the same row: one run of stores per block (the same rows and bytes as
        // the mvins' pixel order; the counters are their sums).
        for (int64_t ob = 0; ob < n_ob; ++ob) {
          fill_rows16(s_.acc_row(C(ob, 0, 0, 0)), bias_rows_.data() + ob * 16, c_plane);
          if (p_.bias) {
            n_.mvin_rows += c_plane;
            n_.mvin_bytes += c_plane * std::min(dim, t.pochs - ob * dim) * 4;
          }
        }
      } else {
        for (int64_t bb = 0; bb < t.batches; ++bb)
          for (int64_t r = 0; r < orows; ++r)
            for (int64_t col = 0; col < ocols; col += dim)
              for (int64_t ob = 0; ob < n_ob; ++ob) {
                const int64_t I = std::min(dim, ocols - col), J = std::min(dim, t.pochs - ob * dim);
                const int32_t* row = bias_rows_.data() + ob * dim;
                for (int64_t i = 0; i < I; ++i) copy_small(s_.acc_row(C(ob, bb, r, col + i)), row, static_cast<size_t>(dim) * 4);
                if (p_.bias) {
                  n_.mvin_rows += I;
                  n_.mvin_bytes += I * J * 4;
                }
              }
      }
    }

    // LdInput: for b, irow, icol (DIM pixels), ich (MAX_BLOCK_LEN blocks): one row per pixel, from the NCHW
    // tensor; pixels in the padding are zero-written.
    const int64_t H = d.in_h, W = d.in_w, HW = H * W, Cin = d.in_c;
    const int64_t max_chs = int64_t{mbl_} * dim;
    const int64_t repeats = mpr_;
    static const bool avx512 = tier_has_avx512(cpu_tier());
    // On AVX-512, a window of whole input rows (a 1x1 conv's tile of full rows) is one run of pixels in the
    // tensor and in the scratchpad: one copy per channel block (the same bytes and counts as row by row).
    const bool whole_rows = dim == 16 && avx512 && !ds && repeats == 1 && icol0 == 0 && icols == W && irow0 >= 0 &&
                            irow0 + irows <= H;
    for (int64_t bb = 0; bb < t.batches && whole_rows; ++bb) {
      const int8_t* xb = p_.x + (t.b + bb) * Cin * HW + irow0 * W;
      for (int64_t kb = 0; kb < n_kb; ++kb)
        pixels_to_rows16_avx512(xb + (t.kch + kb * dim) * HW, HW, std::min(dim, t.kchs - kb * dim), irows * W,
                                s_.sp_row(A(kb, bb, 0, 0)));
      n_.mvin_rows += irows * W * cdiv(t.kchs, max_chs);
      n_.mvin_bytes += irows * W * t.kchs;
    }
    for (int64_t bb = 0; bb < t.batches && !whole_rows; ++bb) {
      const int8_t* xb = p_.x + (t.b + bb) * Cin * HW;
      bool copied_by_previous = false;  // AVX-512, rows of up to 32 pixels: a row's copy also did the next row's
      for (int64_t r = 0; r < irows; ++r) {
        // The pixels of one window row are consecutive scratchpad rows: zero them, then write the in-bounds
        // pixels channel by channel (a transpose of [channels, pixels] NCHW runs into [pixels, DIM] rows; the
        // same bytes as pixel by pixel).
        const int64_t ih = irow0 + (r << ds);
        const bool row_inside = ih >= 0 && ih < H;
        const int64_t step = int64_t{1} << ds;
        int64_t lo = icol0 >= 0 ? 0 : (-icol0 + step - 1) / step;
        int64_t hi = W - icol0 <= 0 ? 0 : (W - icol0 + step - 1) / step;
        lo = std::min(lo, icols);
        hi = std::clamp(hi, lo, icols);
        const bool pairs = dim == 16 && avx512 && !ds && hi - lo <= 32;
        const bool skip_copy = pairs && copied_by_previous;
        const bool copy_next = pairs && !copied_by_previous && row_inside && r + 1 < irows && ih + 1 < H;
        copied_by_previous = copy_next;
        for (int64_t kb = 0; kb < n_kb; ++kb) {
          int8_t* dst = s_.sp_row(A(kb, bb, r, 0));
          const int64_t chs = std::min(dim, t.kchs - kb * dim);
          const int8_t* src0 = xb + (t.kch + kb * dim) * HW + ih * W + icol0;
          if (dim == 16) {
            // Pixels in the padding are zero rows; the in-bounds ones come from 16 x 16 transposes of
            // [channels, pixels] (channels beyond chs and pixels beyond hi read as zeros, and only the live
            // pixel rows are stored: the same bytes as pixel by pixel).
            if (!row_inside) {
              std::memset(dst, 0, static_cast<size_t>(icols * 16));
              continue;
            }
            std::memset(dst, 0, static_cast<size_t>(lo * 16));
            std::memset(dst + hi * 16, 0, static_cast<size_t>((icols - hi) * 16));
            if (pairs) {  // this row and the next (when inside), or nothing if the previous row did this one
              if (!skip_copy)
                pixels_to_rows16_x2_avx512(src0 + lo, copy_next ? src0 + W + lo : nullptr, HW, chs, hi - lo,
                                           dst + lo * 16, copy_next ? s_.sp_row(A(kb, bb, r + 1, lo)) : nullptr);
              continue;
            }
            if (avx512 && !ds) {
              pixels_to_rows16_avx512(src0 + lo, HW, chs, hi - lo, dst + lo * 16);
              continue;
            }
            // When 16 bytes (32 with the downsample) past every channel's last pixel are readable: plain loads
            // (bytes beyond pixel n land in transposed rows that are not stored), zeros for channels beyond
            // chs; otherwise bounded, masked loads.
            const bool plain = x_end_ - (src0 + (chs - 1) * HW) >= ((hi + 16) << ds);
            const __m128i even = _mm_set1_epi16(0x00FF);
            for (int64_t col = lo; col < hi; col += 16) {
              const int64_t n = std::min<int64_t>(16, hi - col);
              __m128i v[16];
              if (plain) {
                const int8_t* src = src0 + (col << ds);
                if (ds) {
                  for (int64_t ch = 0; ch < chs; ++ch, src += HW)
                    v[ch] = _mm_packus_epi16(_mm_and_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src)), even),
                                             _mm_and_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 16)), even));
                } else {
                  for (int64_t ch = 0; ch < chs; ++ch, src += HW) v[ch] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src));
                }
                for (int64_t ch = chs; ch < 16; ++ch) v[ch] = _mm_setzero_si128();
                transpose16x16_i8(v);
                for (int64_t c = 0; c < n; ++c) _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + (col + c) * 16), v[c]);
                continue;
              }
              for (int64_t ch = 0; ch < 16; ++ch) {
                if (ch >= chs) {
                  v[ch] = _mm_setzero_si128();
                  continue;
                }
                const int8_t* src = src0 + ch * HW + (col << ds);
                if (ds) {  // every other pixel: the even bytes of 2n - 1
                  const __m128i even = _mm_set1_epi16(0x00FF);
                  const int64_t need = 2 * n - 1;
                  const __m128i a = load_bytes16(src, std::min<int64_t>(16, need), x_end_);
                  const __m128i b = need > 16 ? load_bytes16(src + 16, need - 16, x_end_) : _mm_setzero_si128();
                  v[ch] = _mm_packus_epi16(_mm_and_si128(a, even), _mm_and_si128(b, even));
                } else {
                  v[ch] = load_bytes16(src, n, x_end_);
                }
              }
              transpose16x16_i8(v);
              for (int64_t c = 0; c < n; ++c) _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + (col + c) * 16), v[c]);
            }
            continue;
          }
          std::memset(dst, 0, static_cast<size_t>(icols * dim));
          if (!row_inside) continue;
          for (int64_t ch = 0; ch < chs; ++ch) {
            const int8_t* src = src0 + ch * HW;
            int8_t* d = dst + ch;
            for (int64_t c = lo; c < hi; ++c) d[c * dim] = src[c << ds];
          }
        }
        // The pixel repeater (first-layer optimisation: one channel block of kchs <= DIM / 2) also writes each
        // pixel, padding included, at byte offset rep * kchs of the rep-th row below it, down to the tile's
        // first input row: row a then holds pixels a, a+1, ... side by side. Every such write lands after the
        // zeroing of its row, and reads a pixel's own bytes, which nothing overwrites: the same scratchpad as
        // the repeater's pixel-by-pixel order.
        if (repeats > 1 && !(dim == 16 && avx512)) {
          const int64_t chs = t.kchs;
          for (int64_t col = 0; col < icols; ++col) {
            const int64_t row = A(0, bb, r, col);
            const int8_t* px = s_.sp_row(row);
            if (dim == 16) {  // chs <= 8 bytes of a 16-byte row: two overlapping plain stores
              const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(px));
              for (int64_t rep = 1; rep < repeats && row - rep >= a_base; ++rep) store_bytes16(s_.sp_row(row - rep) + rep * chs, v, chs);
            } else {
              for (int64_t rep = 1; rep < repeats && row - rep >= a_base; ++rep)
                std::memcpy(s_.sp_row(row - rep) + rep * chs, px, static_cast<size_t>(chs));
            }
          }
        }
        if (row_inside) {
          n_.mvin_rows += (hi - lo) * cdiv(t.kchs, max_chs);
          n_.mvin_bytes += (hi - lo) * t.kchs;
        }
      }
    }

    // On AVX-512 the pixel repeater's writes go over the tile's rows (one channel block) after their mvins.
    if (repeats > 1 && dim == 16 && avx512) repeat_pixels_avx512(s_.sp_row(A(0, 0, 0, 0)), a_plane, t.kchs, repeats);

    // LdWeight: for och (MAX_BLOCK_LEN blocks), krow, kcol, kch: one row of output channels per input channel.
    const int64_t Cout = d.out_c;
    for (int64_t och = 0; och < t.pochs; och += max_chs) {
      const int64_t cols = std::min(max_chs, t.pochs - och);
      if (dim == 16) {
        // The kchs rows of one (kernel position, och block) are consecutive scratchpad rows and Cout apart in
        // the HWIO tensor: one strided run of (masked) 16-byte copies each, the same bytes row by row.
        for (int64_t kr = 0; kr < t.krows; ++kr)
          for (int64_t kc = 0; kc < t.kcols; ++kc)
            for (int64_t c0 = 0; c0 < cols; c0 += 16) {
              const int8_t* src = p_.w + (((t.krow + kr) * d.k_w + t.kcol + kc) * Cin + t.kch) * Cout + t.poch + och + c0;
              const int64_t readable = w_end_ - src >= 16 ? std::min(t.kchs, (w_end_ - src - 16) / Cout + 1) : 0;
              mvin_rows16(src, Cout, t.kchs, readable, std::min<int64_t>(16, cols - c0), w_end_,
                          s_.sp_row(B((och + c0) / 16, kr, kc, 0)));
            }
        n_.mvin_rows += t.krows * t.kcols * t.kchs;
        n_.mvin_bytes += t.krows * t.kcols * t.kchs * cols;
        continue;
      }
      for (int64_t kr = 0; kr < t.krows; ++kr)
        for (int64_t kc = 0; kc < t.kcols; ++kc)
          for (int64_t ci = 0; ci < t.kchs; ++ci) {
            const int8_t* src = p_.w + (((t.krow + kr) * d.k_w + t.kcol + kc) * Cin + t.kch + ci) * Cout + t.poch + och;
            for (int64_t c0 = 0; c0 < cols; c0 += dim) {
              int8_t* dst = s_.sp_row(B((och + c0) / dim, kr, kc, ci));
              const int64_t valid = std::min(dim, cols - c0);
              if (valid < dim) std::memset(dst, 0, static_cast<size_t>(dim));
              std::memcpy(dst, src + c0, static_cast<size_t>(valid));
            }
            ++n_.mvin_rows;
            n_.mvin_bytes += cols;
          }
    }

    // Ex: for och block, krow, kcol (step max_pixels_per_row), kch block: preload the weights, then for b,
    // orow, ocol (DIM pixels): compute into the accumulator.
    for (int64_t ob = 0; ob < n_ob; ++ob) {
      const int J = static_cast<int>(std::min(dim, t.pochs - ob * dim));
      for (int64_t kr = 0; kr < t.krows; ++kr)
        for (int64_t kc = 0; kc < t.kcols; kc += mpr_) {
          const int64_t pixels = std::min(mpr_, t.kcols - kc);
          for (int64_t kb = 0; kb < n_kb; ++kb) {
            const int K = static_cast<int>(pixels * std::min(dim, t.kchs - kb * dim));
            preload_weights(B(ob, kr, kc, kb * dim), K);
            ++n_.weight_preloads;
            bool new_weights = true;
            if (dim_ == 16) {
              // The computes of one output row read A rows `stride` apart and write consecutive C rows, so the
              // kernel (which takes rows one at a time) runs a row's blocks in one call; with a 1x1 window at
              // stride 1 in the scratchpad the whole tile's pixels are one run in both. Counters per compute.
              const Kern16 kern = kern16();
              if (stride == 1 && irows == orows && icols == ocols && kr == 0 && kc == 0) {
                mac16(kern, false, s_.sp_row(A(kb, 0, 0, 0)), pe16_, s_.acc_row(C(ob, 0, 0, 0)),
                      static_cast<int>(c_plane), true);
              } else {
                for (int64_t bb = 0; bb < t.batches; ++bb)
                  for (int64_t r = 0; r < orows; ++r)
                    mac16(kern, false, s_.sp_row(A(kb, bb, r * stride + kr * d.dilation, kc * d.dilation)), pe16_,
                          s_.acc_row(C(ob, bb, r, 0)), static_cast<int>(ocols), true, stride * 16);
              }
              for (int64_t bb = 0; bb < t.batches; ++bb)
                for (int64_t r = 0; r < orows; ++r)
                  for (int64_t col = 0; col < ocols; col += dim) {
                    const int I = static_cast<int>(std::min(dim, ocols - col));
                    ++n_.preloads;
                    ++n_.computes;
                    n_.compute_cycles += std::max({I, new_weights ? K : 0, min_rows_});
                    new_weights = false;
                  }
              continue;
            }
            for (int64_t bb = 0; bb < t.batches; ++bb)
              for (int64_t r = 0; r < orows; ++r)
                for (int64_t col = 0; col < ocols; col += dim) {
                  const int I = static_cast<int>(std::min(dim, ocols - col));
                  const int64_t a = A(kb, bb, r * stride + kr * d.dilation, col * stride + kc * d.dilation);
                  block_mac(dim_, s_.sp_row(a), stride * dim, pe_weights_.data(), s_.acc_row(C(ob, bb, r, col)), dim, I,
                            K, J, true);
                  ++n_.preloads;
                  ++n_.computes;
                  n_.compute_cycles += std::max({I, new_weights ? K : 0, min_rows_});
                  new_weights = false;
                }
          }
        }
    }
    if (!last_k) return;

    // St: the accumulator rows through the scaler and activation (element-wise: whole rows at once).
    const int64_t c_rows = n_ob * c_plane;
    staged_.resize(static_cast<size_t>(c_rows * dim));
    scale_and_activate_row(s_.acc_row(c_base), c_rows * dim, p_.epilogue, staged_.data());
    auto scaled = [&](int64_t ob, int64_t bb, int64_t r, int64_t col) {
      return staged_.data() + (C(ob, bb, r, col) - c_base) * dim;
    };
    if (!pooled && dim == 16 && tier_has_avx512(cpu_tier())) {
      // The same bytes on AVX-512, in runs of consecutive pixels: an output row, or every row of the tile when
      // they are whole rows of the output (then one run in the accumulator order and in the NCHW plane).
      const int64_t plane = out_h * out_w;
      const bool whole_rows = ocol_s == 0 && ocols == out_w;
      for (int64_t bb = 0; bb < t.batches; ++bb)
        for (int64_t ob = 0; ob < n_ob; ++ob) {
          const int64_t J = std::min(dim, t.pochs - ob * dim);
          int8_t* out = p_.y + (((t.b + bb) * Cout + t.poch + ob * dim) * out_h + orow_s) * out_w + ocol_s;
          if (whole_rows) {
            rows16_to_pixels_avx512(scaled(ob, bb, 0, 0), orows * ocols, J, out, plane);
          } else if (ocols <= 32) {  // two output rows at a time
            for (int64_t r = 0; r < orows; r += 2) {
              const bool two = r + 1 < orows;
              rows16_to_pixels_x2_avx512(scaled(ob, bb, r, 0), two ? scaled(ob, bb, r + 1, 0) : nullptr, ocols, J,
                                         out + r * out_w, two ? out + (r + 1) * out_w : nullptr, plane);
            }
          } else {
            for (int64_t r = 0; r < orows; ++r) rows16_to_pixels_avx512(scaled(ob, bb, r, 0), ocols, J, out + r * out_w, plane);
          }
        }
      n_.mvout_rows += t.batches * orows * ocols * n_ob;
      n_.mvout_bytes += t.batches * orows * ocols * t.pochs;
      return;
    }
    if (!pooled) {  // for b, orow, ocol (DIM pixels), och block: mvout I rows of J channels into NCHW
      for (int64_t bb = 0; bb < t.batches; ++bb)
        for (int64_t r = 0; r < orows; ++r)
          for (int64_t col = 0; col < ocols; col += dim)
            for (int64_t ob = 0; ob < n_ob; ++ob) {
              const int64_t I = std::min(dim, ocols - col), J = std::min(dim, t.pochs - ob * dim);
              const int8_t* src = scaled(ob, bb, r, col);
              int8_t* out = p_.y + (((t.b + bb) * Cout + t.poch + ob * dim) * out_h + orow_s + r) * out_w + ocol_s + col;
              const int64_t plane = out_h * out_w;
              if (dim == 16) {  // [I pixels, 16 channels] -> J channel rows of I bytes
                __m128i v[16];
                for (int64_t i = 0; i < 16; ++i)
                  v[i] = i < I ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i * 16)) : _mm_setzero_si128();
                transpose16x16_i8(v);
                for (int64_t j = 0; j < J; ++j) store_bytes16(out + j * plane, v[j], I);
              } else {
                for (int64_t j = 0; j < J; ++j) {
                  int8_t* o = out + j * plane;
                  for (int64_t i = 0; i < I; ++i) o[i] = src[i * dim + j];
                }
              }
              n_.mvout_rows += I;
              n_.mvout_bytes += I * J;
            }
      return;
    }
    // The pooled mvout: per (b, och block), every pooled pixel of the tile is the max of its window of scaled
    // conv outputs, positions outside the conv output counting as 0.
    const int64_t pout_h = d.pool_out_h(), pout_w = d.pool_out_w();
    for (int64_t bb = 0; bb < t.batches; ++bb)
      for (int64_t ob = 0; ob < n_ob; ++ob) {
        const int64_t J = std::min(dim, t.pochs - ob * dim);
        for (int64_t pr = 0; pr < t.porows; ++pr)
          for (int64_t pc = 0; pc < t.pocols; ++pc) {
            int8_t m[64];
            int8_t* mx = J <= 64 ? m : nullptr;
            std::vector<int8_t> big;
            if (!mx) {
              big.resize(static_cast<size_t>(J));
              mx = big.data();
            }
            std::fill(mx, mx + J, static_cast<int8_t>(kElemMin));
            for (int64_t wr = 0; wr < pool_size; ++wr)
              for (int64_t wc = 0; wc < pool_size; ++wc) {
                const int64_t R = orow + pr * pool_stride + wr, Cc = ocol + pc * pool_stride + wc;
                if (R < 0 || R >= out_h || Cc < 0 || Cc >= out_w) {
                  for (int64_t j = 0; j < J; ++j) mx[j] = std::max<int8_t>(mx[j], 0);
                  continue;
                }
                const int8_t* v = scaled(ob, bb, R - orow_s, Cc - ocol_s);
                for (int64_t j = 0; j < J; ++j) mx[j] = std::max(mx[j], v[j]);
              }
            int8_t* out = p_.y + (((t.b + bb) * Cout + t.poch + ob * dim) * pout_h + t.porow + pr) * pout_w + t.pocol + pc;
            for (int64_t j = 0; j < J; ++j) out[j * pout_h * pout_w] = mx[j];
          }
        n_.mvout_rows += t.porows * t.pocols;
        n_.mvout_bytes += t.porows * t.pocols * J;
      }
  }

 private:
  // The PEs' weights: rows [0, k) of the DIM x DIM block at scratchpad row `sp_row` in block_mac's pair
  // layout; rows k.. (the next kernel position's weights when kchs is not a multiple of DIM) are zero.
  void preload_weights(int64_t sp_row, int k) {
    const int dim = dim_;
    if (dim == 16) {
      // The DIM 16 kernels' prepared block, from the k rows and zeros (they use all 16 rows; accumulator
      // columns beyond J are never moved out).
      if (k == 16) return prepare16(s_.sp_row(sp_row), kern16(), false, pe16_);
      alignas(16) int8_t w[256] = {};
      std::memcpy(w, s_.sp_row(sp_row), static_cast<size_t>(k) * 16);
      prepare16(w, kern16(), false, pe16_);
      return;
    }
    if (k < dim) std::fill(pe_weights_.begin(), pe_weights_.end(), int16_t{0});
    for (int r = 0; r < k; ++r) {
      const int8_t* src = s_.sp_row(sp_row + r);
      int16_t* dst = pe_weights_.data() + (r / 2) * 2 * dim + (r % 2);
      for (int c = 0; c < dim; ++c) dst[2 * c] = src[c];
    }
  }

  const ConvProblem& p_;
  const ConvTiling& t_;
  Scratch& s_;
  DataflowCounters& n_;
  int dim_, mbl_, min_rows_;
  int64_t mpr_ = 1;
  std::vector<int16_t> pe_weights_;
  Block16 pe16_;  // DIM 16: the PEs' weights for mac16
  std::vector<int32_t> bias_rows_;  // LdBias: one row per och block
  std::vector<int8_t> staged_;
  const int8_t* x_end_;  // one past the input tensor and the weights: the bounds of 16-byte loads
  const int8_t* w_end_;
};

}  // namespace

// Kept between calls while the config's sizes stay the same.
Scratch& thread_scratch(const Config& c) {
  thread_local std::unique_ptr<Scratch> s;
  if (!s || s->dim() != c.dim || s->sp_rows() != c.sp_rows() || s->acc_rows() != c.acc_rows())
    s = std::make_unique<Scratch>(c);
  return *s;
}

void DataflowCounters::add(const DataflowCounters& o) {
  tiles += o.tiles;
  mvin_rows += o.mvin_rows;
  mvin_bytes += o.mvin_bytes;
  mvout_rows += o.mvout_rows;
  mvout_bytes += o.mvout_bytes;
  preloads += o.preloads;
  computes += o.computes;
  weight_preloads += o.weight_preloads;
  compute_cycles += o.compute_cycles;
}

Scratch::Scratch(const Config& c)
    : dim_(c.dim), sp_rows_(c.sp_rows()), acc_rows_(c.acc_rows()), max_block_len_(std::max(1, c.max_block_len())),
      sp_mem_(static_cast<size_t>(c.sp_rows() * c.dim) + 64), acc_mem_(static_cast<size_t>(c.acc_rows() * c.dim) + 16) {
  auto align64 = [](auto* p) {
    const auto a = reinterpret_cast<uintptr_t>(p);
    return reinterpret_cast<decltype(p)>((a + 63) & ~uintptr_t{63});
  };
  sp_ = align64(sp_mem_.data());
  acc_ = align64(acc_mem_.data());
}

bool tiles_fit(const TileSizes& t, Dataflow d, const Config& c) {
  if (t.I < 1 || t.J < 1 || t.K < 1) return false;
  const int64_t sp = (t.I * t.K + t.K * t.J) * c.dim, acc = t.I * t.J * c.dim;
  const int64_t div = d == Dataflow::kWS ? 2 : 1;
  return sp <= c.sp_rows() / div && acc <= c.acc_rows() / div;
}

void tiled_matmul_model(const MatmulProblem& p, const TileSizes& t, Dataflow dataflow, const Config& c,
                        DataflowCounters* counters) {
  const int64_t dim = c.dim;
  const int64_t Ib = cdiv(p.I, dim), Jb = cdiv(p.J, dim), Kb = cdiv(p.K, dim);
  const int64_t I0 = cdiv(Ib, t.I), J0 = cdiv(Jb, t.J), K0 = cdiv(Kb, t.K);
  const int64_t outer = I0 * J0;
  // The output tile ij, all its K tiles.
  auto output_tile = [&](TileRunner& run, DataflowCounters& mine, int64_t ij) {
    const int64_t i0 = ij / J0, j0 = ij % J0;
    for (int64_t k0 = 0; k0 < K0; ++k0) {
      Tile tile{i0, j0, k0,
                std::min(t.I, Ib - i0 * t.I), std::min(t.J, Jb - j0 * t.J), std::min(t.K, Kb - k0 * t.K),
                i0 * t.I * dim, j0 * t.J * dim, k0 * t.K * dim};
      const bool last_k = k0 == K0 - 1;
      if (dataflow == Dataflow::kWS) {
        // The scratchpad halves alternate per LOOP_WS in issue order; the accumulator half per output tile.
        const int64_t seq = ij * K0 + k0;
        run.ws(tile, static_cast<int>(seq & 1), static_cast<int>(ij & 1), last_k);
      } else {
        run.os(tile, last_k);
      }
      ++mine.tiles;
    }
  };
  DataflowCounters total;
  // A small problem, one thread, or a call from inside a parallel region (one conv group of several running
  // side by side) runs here, without entering an OpenMP region (a nested one costs microseconds per call).
  const bool parallel = outer > 1 && p.I * p.J * p.K > (int64_t{1} << 16) && !omp_in_parallel() && omp_get_max_threads() > 1;
  if (!parallel) {
    TileRunner run(p, t, c, thread_scratch(c), total);
    for (int64_t ij = 0; ij < outer; ++ij) output_tile(run, total, ij);
  } else {
#pragma omp parallel
    {
      DataflowCounters mine;
      TileRunner run(p, t, c, thread_scratch(c), mine);
#pragma omp for schedule(static)
      for (int64_t ij = 0; ij < outer; ++ij) output_tile(run, mine, ij);
#pragma omp critical
      total.add(mine);
    }
  }
  if (counters) counters->add(total);
}

bool conv_tiles_fit(const ConvTiling& t, const Config& c) {
  return t.batches >= 1 && t.porows >= 1 && t.pocols >= 1 && t.pochs >= 1 && t.krows >= 1 && t.kcols >= 1 &&
         t.kchs >= 1 && t.spad_rows <= c.sp_rows() / 2 && t.acc_rows <= c.acc_rows() / 2;
}

void tiled_conv_model(const ConvProblem& p, const ConvTiling& t, const Config& c, DataflowCounters* counters) {
  const ConvDims& d = p.d;
  const int64_t pout_h = d.pool_out_h(), pout_w = d.pool_out_w();
  // tiled_conv's loop: for b, porow, pocol, poch (an output tile) for krow, kcol, kch.
  const int64_t nb = cdiv(d.batch, t.batches), npr = cdiv(pout_h, t.porows), npc = cdiv(pout_w, t.pocols);
  const int64_t npo = cdiv(d.out_c, t.pochs);
  const int64_t nkr = cdiv(d.k_h, t.krows), nkc = cdiv(d.k_w, t.kcols), nkch = cdiv(d.in_c, t.kchs);
  const int64_t outer = nb * npr * npc * npo, inner = nkr * nkc * nkch;
  DataflowCounters total;
#pragma omp parallel if (outer > 1 && d.macs() > (int64_t{1} << 16))
  {
    DataflowCounters mine;
    Scratch& s = thread_scratch(c);
    ConvRunner run(p, t, c, s, mine);
#pragma omp for schedule(static)
    for (int64_t o = 0; o < outer; ++o) {
      int64_t rest = o;
      const int64_t io = rest % npo;
      rest /= npo;
      const int64_t ic = rest % npc;
      rest /= npc;
      const int64_t ir = rest % npr;
      const int64_t ib = rest / npr;
      for (int64_t k = 0; k < inner; ++k) {
        const int64_t ikch = k % nkch, ikc = (k / nkch) % nkc, ikr = k / (nkch * nkc);
        ConvTile tile{ib * t.batches, ir * t.porows, ic * t.pocols, io * t.pochs, ikr * t.krows, ikc * t.kcols,
                      ikch * t.kchs, 0, 0, 0, 0, 0, 0, 0};
        tile.batches = std::min(t.batches, d.batch - tile.b);
        tile.porows = std::min(t.porows, pout_h - tile.porow);
        tile.pocols = std::min(t.pocols, pout_w - tile.pocol);
        tile.pochs = std::min(t.pochs, d.out_c - tile.poch);
        tile.krows = std::min(t.krows, d.k_h - tile.krow);
        tile.kcols = std::min(t.kcols, d.k_w - tile.kcol);
        tile.kchs = std::min(t.kchs, d.in_c - tile.kch);
        // The scratchpad halves alternate per LOOP_CONV_WS in issue order; the accumulator half per output tile
        // (its kernel/channel tiles accumulate there).
        run.run(tile, static_cast<int>((o * inner + k) & 1), static_cast<int>(o & 1));
        ++mine.tiles;
      }
    }
#pragma omp critical
    total.add(mine);
  }
  if (counters) counters->add(total);
}

std::vector<int16_t> transpose_widen(const int8_t* b, int64_t K, int64_t J, int64_t ldb) {
  std::vector<int16_t> t(static_cast<size_t>(K * J));
  for (int64_t k = 0; k < K; ++k)
    for (int64_t j = 0; j < J; ++j) t[static_cast<size_t>(j * K + k)] = b[k * ldb + j];
  return t;
}

// core/transpose.h's transpose16x16_i8 on both 128-bit lanes at once (the byte interleaves stay in their lane):
// afterwards lane L of v[c] holds column c of lane L's 16 x 16 block.
[[gnu::target("avx2")]] inline void transpose16x16_i8_lanes(__m256i v[16]) {
  for (int round = 0; round < 4; ++round) {
    __m256i u[16];
    for (int i = 0; i < 8; ++i) {
      u[2 * i] = _mm256_unpacklo_epi8(v[i], v[i + 8]);
      u[2 * i + 1] = _mm256_unpackhi_epi8(v[i], v[i + 8]);
    }
    for (int i = 0; i < 16; ++i) v[i] = u[i];
  }
}

// im2col_i8's inner step for 16 + nt2 pixels of one output row (16 < 16 + nt2 <= 32) at stride 1 or 2: the
// lanes of each AVX2 register hold the two 16-pixel chunks, and the byte interleaves (which stay in their
// lane) transpose both at once. Stores go in pixel order, the last column group first, as in im2col_i8.
// With lda 16 and K <= 16 (one group) each register pair holds two adjacent whole rows: 32-byte stores.
[[gnu::target("avx2")]] void im2col_pair_avx2(const int8_t* src, const int64_t* offsets, int64_t K, int64_t lda,
                                              int64_t SW, int64_t nt2, int8_t* arow, const int8_t* a_end) {
  const __m256i even = _mm256_set1_epi16(0x00FF);
  for (int64_t grp = (K + 15) / 16 - 1; grp >= 0; --grp) {
    const int64_t k0 = grp * 16, nk = std::min<int64_t>(16, K - k0);
    const int64_t* off = offsets + k0;
    __m256i v[16];
    for (int64_t i = 0; i < 16; ++i) v[i] = _mm256_setzero_si256();
    if (SW == 1) {
      for (int64_t i = 0; i < nk; ++i) v[i] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + off[i]));
    } else {
      for (int64_t i = 0; i < nk; ++i) {
        const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + off[i]));
        const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + off[i] + 32));
        // packus works per lane: (lo.0, hi.0 | lo.1, hi.1) -> reorder the 64-bit quarters to lo, hi.
        v[i] = _mm256_permute4x64_epi64(_mm256_packus_epi16(_mm256_and_si256(lo, even), _mm256_and_si256(hi, even)), 0xD8);
      }
    }
    transpose16x16_i8_lanes(v);
    if (lda == 16 && K <= 16) {
      for (int64_t t = 0; t < 16; t += 2) {  // rows t, t + 1 (lanes 0), then t + 16, t + 17 (lanes 1) if live
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(arow + t * 16), _mm256_permute2x128_si256(v[t], v[t + 1], 0x20));
        const __m256i hi = _mm256_permute2x128_si256(v[t], v[t + 1], 0x31);
        if (t + 1 < nt2) {
          _mm256_storeu_si256(reinterpret_cast<__m256i*>(arow + (t + 16) * 16), hi);
        } else if (t < nt2) {
          _mm_storeu_si128(reinterpret_cast<__m128i*>(arow + (t + 16) * 16), _mm256_castsi256_si128(hi));
        }
      }
      return;
    }
    for (int64_t t = 0; t < 16 + nt2; ++t) {
      const __m128i row = t < 16 ? _mm256_castsi256_si128(v[t]) : _mm256_extracti128_si256(v[t - 16], 1);
      int8_t* d = arow + t * lda + k0;
      if (nk == 16 || k0 + 16 <= lda || a_end - d >= 16) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(d), row);
      } else {
        store_bytes16(d, row, nk);
      }
    }
  }
}

// im2col_i8's step for two consecutive output rows of n <= 16 pixels each (src0 / src1: their first pixel's
// window origin) at stride 1 or 2, K <= 16 and A rows 16 bytes apart: lane 0 of each AVX2 register holds the
// first row's pixels, lane 1 the second's, and one transpose serves both. The rows' A rows are consecutive
// (row 1's start at arow + n * 16); each is stored whole.
[[gnu::target("avx2")]] void im2col_rows2_avx2(const int8_t* src0, const int8_t* src1, const int64_t* off, int64_t K,
                                               int64_t SW, int64_t n, int8_t* arow) {
  const __m128i even = _mm_set1_epi16(0x00FF);
  __m256i v[16];
  for (int64_t i = 0; i < 16; ++i) v[i] = _mm256_setzero_si256();
  for (int64_t i = 0; i < K; ++i) {
    __m128i a0, a1;
    if (SW == 1) {
      a0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src0 + off[i]));
      a1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src1 + off[i]));
    } else {
      auto evens = [&](const int8_t* p) {
        return _mm_packus_epi16(_mm_and_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), even),
                                _mm_and_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16)), even));
      };
      a0 = evens(src0 + off[i]);
      a1 = evens(src1 + off[i]);
    }
    v[i] = _mm256_inserti128_si256(_mm256_castsi128_si256(a0), a1, 1);
  }
  transpose16x16_i8_lanes(v);
  for (int64_t t = 0; t < n; ++t) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(arow + t * 16), _mm256_castsi256_si128(v[t]));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(arow + (n + t) * 16), _mm256_extracti128_si256(v[t], 1));
  }
}

// The permute indices of im2col_3x3_vbmi for column stride SW: for each group q of 4 pixels of a 16-pixel chunk,
// byte 16 i + 3 kr + kc of the group's 64 A bytes (pixel i, kernel row kr, column kc) comes from byte
// (4 q + i) SW + kc of kernel row kr's 64 input bytes; rows 0 and 1 are the two tables of one vpermt2b (row 1's
// bytes at 64 + ...), row 2 a masked vpermb. Bytes 9..15 of a row are zero (the first permute's zero mask).
struct Im2col3x3Index {
  alignas(64) int8_t rows01[4][64];
  alignas(64) int8_t row2[4][64];
};
constexpr Im2col3x3Index im2col_3x3_index(int sw) {
  Im2col3x3Index t{};
  for (int q = 0; q < 4; ++q)
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 9; ++j) {
        const int kr = j / 3, kc = j % 3, src = (4 * q + i) * sw + kc;
        if (kr < 2) t.rows01[q][16 * i + j] = static_cast<int8_t>(64 * kr + src);
        else t.row2[q][16 * i + j] = static_cast<int8_t>(src);
      }
  return t;
}
constexpr Im2col3x3Index kIm2col3x3Index[2] = {im2col_3x3_index(1), im2col_3x3_index(2)};
// Which bytes of a 64-byte group (four 16-byte A rows) kernel rows 0 and 1 write (j < 6), and row 2 (6 <= j < 9).
constexpr uint64_t row_bytes_mask(int j0, int j1) {
  uint64_t m = 0;
  for (int i = 0; i < 4; ++i)
    for (int j = j0; j < j1; ++j) m |= uint64_t{1} << (16 * i + j);
  return m;
}

// im2col_i8 for one channel, a 3x3 window at dilation 1, column stride 1 or 2 and A rows 16 bytes apart (a
// depthwise 3x3 conv's A), on AVX512-VBMI, straight from the input plane (no padded copy): per output row and
// 16 output pixels, the three input rows' spans (up to 15 * SW + 3 bytes) are masked 64-byte loads, whose
// bytes outside the plane (the padding, what lies beyond the row) read as zeros and do not fault; a kernel row
// in the top or bottom padding is a zero register. Then per 4 pixels a vpermt2b (kernel rows 0 and 1, zeros in
// bytes 9..15) and a masked vpermb (row 2) give their four A rows, one 64-byte store (masked for the pixels
// beyond the output row's last). The same bytes as im2col_i8's other paths.
[[gnu::target("avx512f,avx512bw,avx512vbmi")]] void im2col_3x3_vbmi(const Im2colGeometry& g, const int8_t* x, int8_t* a) {
  const int64_t H = g.H, W = g.W, SH = g.SH, SW = g.SW, PT = g.PT, PL = g.PL, OH = g.OH, OW = g.OW;
  const Im2col3x3Index& t = kIm2col3x3Index[SW - 1];
  __m512i idx01[4], idx2[4];
  for (int q = 0; q < 4; ++q) {
    idx01[q] = _mm512_load_si512(t.rows01[q]);
    idx2[q] = _mm512_load_si512(t.row2[q]);
  }
  constexpr uint64_t kRows01 = row_bytes_mask(0, 6), kRow2 = row_bytes_mask(6, 9);
  for (int64_t oh = 0; oh < OH; ++oh) {
    const int64_t ih0 = oh * SH - PT;
    int8_t* arow = a + oh * OW * 16;
    for (int64_t ow0 = 0; ow0 < OW; ow0 += 16) {
      // Input columns [c0, c0 + 64) of each kernel row; the plane's are [0, W).
      const int64_t c0 = ow0 * SW - PL;
      const int64_t lo = std::max<int64_t>(0, -c0), hi = std::min<int64_t>(64, W - c0);
      const __mmask64 m = hi <= lo ? 0 : ((hi >= 64 ? ~uint64_t{0} : (uint64_t{1} << hi) - 1) & ~((uint64_t{1} << lo) - 1));
      __m512i r[3];
      for (int kr = 0; kr < 3; ++kr) {
        const int64_t ih = ih0 + kr;
        // The address of column c0 (before the plane when c0 < 0: those bytes are masked off).
        const auto at = reinterpret_cast<const void*>(reinterpret_cast<uintptr_t>(x) + static_cast<uintptr_t>(ih * W + c0));
        r[kr] = ih >= 0 && ih < H ? _mm512_maskz_loadu_epi8(m, at) : _mm512_setzero_si512();
      }
      const int64_t n = std::min<int64_t>(16, OW - ow0);
      for (int q = 0; q * 4 < n; ++q) {
        __m512i v = _mm512_maskz_permutex2var_epi8(kRows01, r[0], idx01[q], r[1]);
        v = _mm512_mask_permutexvar_epi8(v, kRow2, idx2[q], r[2]);
        int8_t* d = arow + (ow0 + 4 * q) * 16;
        const int64_t live = std::min<int64_t>(4, n - 4 * q);
        if (live == 4) {
          _mm512_storeu_si512(d, v);
        } else {
          _mm512_mask_storeu_epi8(d, (uint64_t{1} << (16 * live)) - 1, v);
        }
      }
    }
  }
}

void im2col_i8(const Im2colGeometry& g, const int8_t* x, int8_t* a) {
  const int64_t C = g.C, H = g.H, W = g.W, KH = g.KH, KW = g.KW, SH = g.SH, SW = g.SW, DH = g.DH, DW = g.DW;
  const int64_t PT = g.PT, PL = g.PL, OH = g.OH, OW = g.OW;
  const int64_t K = C * KH * KW, I = OH * OW, lda = g.LDA > 0 ? g.LDA : K;
  // A depthwise 3x3 conv's A on AVX512-VBMI: byte permutes from the plane itself.
  static const bool vbmi = tier_has_avx512_vbmi(cpu_tier());
  if (vbmi && C == 1 && KH == 3 && KW == 3 && DH == 1 && DW == 1 && (SW == 1 || SW == 2) && lda == 16)
    return im2col_3x3_vbmi(g, x, a);
  if (KH == 1 && KW == 1 && SH == 1 && SW == 1 && PT == 0 && PL == 0 && OH == H && OW == W) {
    transpose_i8(x, H * W, C, H * W, a, lda);  // a 1x1 conv: [C, H * W] -> [H * W, C]
    if (lda > K)
      for (int64_t i = 0; i < I; ++i) std::memset(a + i * lda + K, 0, static_cast<size_t>(lda - K));
    return;
  }
  // The input planes with their padding made explicit (zeros around, and slack on the right for full-width
  // loads), so that every (channel, kernel row, kernel column) span is a load without bounds checks.
  const int64_t PH = std::max(H + PT, (OH - 1) * SH + (KH - 1) * DH + 1);
  const int64_t PW = std::max(W + PL, (OW - 1) * SW + (KW - 1) * DW + 1) + 32;
  thread_local std::vector<int8_t> padded;
  thread_local std::vector<int64_t> offsets;
  padded.assign(static_cast<size_t>(C * PH * PW), 0);
  for (int64_t ch = 0; ch < C; ++ch)
    for (int64_t h = 0; h < H; ++h)
      std::memcpy(padded.data() + (ch * PH + h + PT) * PW + PL, x + (ch * H + h) * W, static_cast<size_t>(W));
  // Where column kidx of A starts in the padded planes for output pixel (0, 0).
  offsets.resize(static_cast<size_t>(K));
  for (int64_t ch = 0; ch < C; ++ch)
    for (int64_t r = 0; r < KH; ++r)
      for (int64_t q = 0; q < KW; ++q) offsets[static_cast<size_t>((ch * KH + r) * KW + q)] = (ch * PH + r * DH) * PW + q * DW;
  // Per output row, 16 pixels at a time, 16 columns of A at a time: the 16 input spans as 16-byte vectors
  // (one load at stride 1, two and a pack at stride 2), transposed into the pixels' A rows (lanes beyond the
  // row's last pixel are read from the slack and not stored). The last column group of a row may be partial;
  // it is stored first, with a full 16-byte store whose excess lands on the next row's first group, written
  // after it (except at the end of A).
  const int8_t* a_end = a + (I - 1) * lda + K;
  const int64_t groups = (K + 15) / 16;
  const __m128i even = _mm_set1_epi16(0x00FF);
  static const bool avx2 = tier_has_avx2(cpu_tier());
  // Rows of at most 16 pixels (a 14 x 14 or 7 x 7 depthwise conv), A rows 16 bytes apart: two output rows per
  // AVX2 transpose.
  const bool rows2 = avx2 && lda == 16 && K <= 16 && OW <= 16 && (SW == 1 || SW == 2);
  for (int64_t oh = 0; oh < OH; ++oh) {
    if (rows2 && oh + 1 < OH) {
      const int8_t* src = padded.data() + oh * SH * PW;
      im2col_rows2_avx2(src, src + SH * PW, offsets.data(), K, SW, OW, a + oh * OW * 16);
      ++oh;
      continue;
    }
    for (int64_t ow0 = 0; ow0 < OW; ow0 += 16) {
      const int64_t nt = std::min<int64_t>(16, OW - ow0);
      const int8_t* src = padded.data() + oh * SH * PW + ow0 * SW;
      int8_t* arow = a + (oh * OW + ow0) * lda;
      if (avx2 && (SW == 1 || SW == 2) && OW - ow0 > 16) {
        // Two chunks of 16 pixels side by side in the two lanes of AVX2 registers.
        im2col_pair_avx2(src, offsets.data(), K, lda, SW, std::min<int64_t>(16, OW - ow0 - 16), arow, a_end);
        ow0 += 16;
        continue;
      }
      for (int64_t grp = groups - 1; grp >= 0; --grp) {
        const int64_t k0 = grp * 16, nk = std::min<int64_t>(16, K - k0);
        const int64_t* off = offsets.data() + k0;
        __m128i v[16];
        for (int64_t i = 0; i < 16; ++i) v[i] = _mm_setzero_si128();
        if (SW == 1) {
          for (int64_t i = 0; i < nk; ++i) v[i] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + off[i]));
        } else if (SW == 2) {
          for (int64_t i = 0; i < nk; ++i) {
            const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + off[i]));
            const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + off[i] + 16));
            v[i] = _mm_packus_epi16(_mm_and_si128(lo, even), _mm_and_si128(hi, even));
          }
        } else {
          for (int64_t i = 0; i < nk; ++i) {
            alignas(16) int8_t tmp[16] = {};
            for (int64_t t = 0; t < nt; ++t) tmp[t] = src[off[i] + t * SW];
            v[i] = _mm_load_si128(reinterpret_cast<const __m128i*>(tmp));
          }
        }
        transpose16x16_i8(v);
        for (int64_t t = 0; t < nt; ++t) {
          int8_t* d = arow + t * lda + k0;
          if (nk == 16 || k0 + 16 <= lda || a_end - d >= 16) {
            _mm_storeu_si128(reinterpret_cast<__m128i*>(d), v[t]);
          } else {
            store_bytes16(d, v[t], nk);
          }
        }
      }
    }
  }
}

void matmul_cpu(const MatmulProblem& p, const int16_t* b_t16) {
  std::vector<int16_t> a(static_cast<size_t>(p.I * p.K));
  for (int64_t i = 0; i < p.I; ++i)
    for (int64_t k = 0; k < p.K; ++k) a[static_cast<size_t>(i * p.K + k)] = p.A[i * p.lda + k];
  std::vector<int32_t> acc(static_cast<size_t>(p.I * p.J));
  gemm_s16_nt(p.I, p.J, p.K, a.data(), b_t16, acc.data(), false);
  for (int64_t i = 0; i < p.I; ++i) {
    int32_t* row = acc.data() + i * p.J;
    if (p.bias)
      for (int64_t j = 0; j < p.J; ++j) row[j] = static_cast<int32_t>(static_cast<uint32_t>(row[j]) + static_cast<uint32_t>(p.bias[j]));
    scale_and_activate_row(row, p.J, p.epilogue, p.C + i * p.ldc);
  }
}

}  // namespace inr::systolic
