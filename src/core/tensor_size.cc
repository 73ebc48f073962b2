#include "core/tensor_size.h"

#include <algorithm>

#include <fmt/format.h>

namespace inr {

Result<int64_t> checked_numel(const Shape& shape, DType dtype, std::string_view what) {
  // Elements allowed by the byte bound (4-bit and undefined dtypes are counted as one byte each).
  const int64_t max_elements = kMaxTensorBytes / std::max<int64_t>(int64_t(dtype_size(dtype)), 1);
  int64_t n = 1;
  bool empty = false;
  for (int64_t d : shape) {
    if (d < 0) return error("{}: negative dim in {}", what, shape_str(shape));
    if (d == 0) empty = true;
  }
  if (empty) return int64_t{0};
  for (int64_t d : shape) {
    if (n > max_elements / d) {
      // The size it would have, in floating point (the integer product may wrap), for the message.
      double bytes = static_cast<double>(std::max<int64_t>(int64_t(dtype_size(dtype)), 1));
      for (int64_t e : shape) bytes *= static_cast<double>(e);
      const std::string size = bytes < 1e15 ? fmt::format("{:.1f} GB", bytes / 1e9) : fmt::format("{:.3g} bytes", bytes);
      return error("{}: shape {} of {} ({}) exceeds inr's tensor size limit ({} GiB)", what, shape_str(shape),
                   dtype_name(dtype), size, kMaxTensorBytes >> 30);
    }
    n *= d;
  }
  return n;
}

Result<int64_t> checked_mul(int64_t a, int64_t b, std::string_view what) {
  int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) return error("{} overflows int64 ({} * {})", what, a, b);
  return r;
}

Result<int64_t> checked_add(int64_t a, int64_t b, std::string_view what) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) return error("{} overflows int64 ({} + {})", what, a, b);
  return r;
}

}  // namespace inr
