#include "core/transpose.h"

#include <algorithm>

namespace inr {

void transpose_i8(const int8_t* src, int64_t ld_src, int64_t rows, int64_t cols, int8_t* dst, int64_t ld_dst,
                  uint8_t xor_mask) {
  if (rows <= 0 || cols <= 0) return;
  const __m128i flip = _mm_set1_epi8(static_cast<char>(xor_mask));
  const int8_t* src_end = src + (rows - 1) * ld_src + cols;
  // A partial output row may be written with a full 16-byte store when the bytes after it are the next
  // output row's, written later: one block of source rows, rows back to back in dst, and 16 bytes there.
  const int8_t* dst_end = dst + (cols - 1) * ld_dst + rows;
  const bool overlap_ok = rows <= 16 && ld_dst == rows;
  for (int64_t r0 = 0; r0 < rows; r0 += 16) {
    const int64_t nr = std::min<int64_t>(16, rows - r0);
    for (int64_t c0 = 0; c0 < cols; c0 += 16) {
      const int64_t nc = std::min<int64_t>(16, cols - c0);
      __m128i v[16];
      for (int64_t i = 0; i < 16; ++i)
        v[i] = i < nr ? _mm_xor_si128(load_bytes16(src + (r0 + i) * ld_src + c0, nc, src_end), flip) : _mm_setzero_si128();
      transpose16x16_i8(v);
      for (int64_t j = 0; j < nc; ++j) {
        int8_t* d = dst + (c0 + j) * ld_dst + r0;
        store_bytes16(d, v[j], nr == 16 || (overlap_ok && dst_end - d >= 16) ? 16 : nr);
      }
    }
  }
}

}  // namespace inr
