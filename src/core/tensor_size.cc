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
    if (n > max_elements / d)
      return error("{}: shape {} of {} exceeds inr's tensor size limit ({} GiB)", what, shape_str(shape),
                   dtype_name(dtype), kMaxTensorBytes >> 30);
    n *= d;
  }
  return n;
}

}  // namespace inr
