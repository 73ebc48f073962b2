// Byte-matrix transposes for the int8 layout changes around the kernels (NCHW <-> NHWC, im2col, a tile
// model's [pixels, channels] output), shared by the oneDNN backend's int8 convolution and the emulated
// Gemmini (backends/systolic).
#pragma once

#include <emmintrin.h>

#include <cstdint>
#include <cstring>

namespace inr {

// Bytes [0, n) at p (0 <= n <= 8) as the low bytes of a uint64, zero above: at most three plain loads (8, or
// 4 + 2 + 1), no copy through memory (a byte-wise copy read back as a vector stalls store forwarding).
inline uint64_t load_upto8(const int8_t* p, int64_t n) {
  uint64_t v = 0;
  if (n >= 8) {
    std::memcpy(&v, p, 8);
    return v;
  }
  int64_t o = 0;
  if (n & 4) {
    uint32_t x;
    std::memcpy(&x, p, 4);
    v = x;
    o = 4;
  }
  if (n & 2) {
    uint16_t x;
    std::memcpy(&x, p + o, 2);
    v |= uint64_t{x} << (8 * o);
    o += 2;
  }
  if (n & 1) v |= uint64_t{static_cast<uint8_t>(p[o])} << (8 * o);
  return v;
}

// Bytes [0, valid) of a 16-byte row from `from`, zero beyond (0 < valid <= 16); `end` is one past the last
// byte that may be read. One unaligned load and a mask when 16 bytes are readable, else load_upto8 twice.
inline __m128i load_bytes16(const int8_t* from, int64_t valid, const int8_t* end) {
  alignas(16) static constexpr int8_t kMask[32] = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                                   0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0};
  if (end - from >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(from));
    return valid == 16 ? v : _mm_and_si128(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(kMask + 16 - valid)));
  }
  const uint64_t lo = load_upto8(from, valid < 8 ? valid : 8);
  const uint64_t hi = valid > 8 ? load_upto8(from + 8, valid - 8) : 0;
  return _mm_set_epi64x(static_cast<long long>(hi), static_cast<long long>(lo));
}

// Stores bytes [0, n) of `v` at `to` (0 <= n <= 16) and nothing else: at most two overlapping plain stores
// (8 + 8, 4 + 4, 2 + 2 or one byte), no library call.
inline void store_bytes16(int8_t* to, __m128i v, int64_t n) {
  if (n >= 16) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(to), v);
    return;
  }
  alignas(16) int8_t tmp[16];
  _mm_store_si128(reinterpret_cast<__m128i*>(tmp), v);
  if (n >= 8) {
    std::memcpy(to, tmp, 8);
    std::memcpy(to + n - 8, tmp + n - 8, 8);
  } else if (n >= 4) {
    std::memcpy(to, tmp, 4);
    std::memcpy(to + n - 4, tmp + n - 4, 4);
  } else if (n >= 2) {
    std::memcpy(to, tmp, 2);
    std::memcpy(to + n - 2, tmp + n - 2, 2);
  } else if (n == 1) {
    *to = tmp[0];
  }
}

// Transposes 16 rows of 16 bytes in registers: afterwards v[c] holds column c (four rounds of interleaving
// row i with row i + 8, each rotating the 8 bits (row, column) of an element's position left by one).
inline void transpose16x16_i8(__m128i v[16]) {
  for (int round = 0; round < 4; ++round) {
    __m128i u[16];
    for (int i = 0; i < 8; ++i) {
      u[2 * i] = _mm_unpacklo_epi8(v[i], v[i + 8]);
      u[2 * i + 1] = _mm_unpackhi_epi8(v[i], v[i + 8]);
    }
    for (int i = 0; i < 16; ++i) v[i] = u[i];
  }
}

// dst[c * ld_dst + r] = src[r * ld_src + c] ^ xor_mask for r < rows, c < cols, in 16 x 16 blocks of SSE2 byte
// interleaves (x86-64's baseline). Reads no byte outside the rows x cols source and writes none outside the
// cols x rows destination. (xor_mask 0x80 turns s8 into u8 with zero point 128 on the way.)
void transpose_i8(const int8_t* src, int64_t ld_src, int64_t rows, int64_t cols, int8_t* dst, int64_t ld_dst,
                  uint8_t xor_mask = 0);

}  // namespace inr
