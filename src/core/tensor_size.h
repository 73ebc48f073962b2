// Checked tensor sizes: the one bound on how big a tensor inr agrees to hold, and element/byte counts that
// cannot wrap. Every size that comes from a file (ONNX dims, .npy headers, shapes inferred from them) goes
// through checked_numel() before anything is allocated, so a hostile `[INT64_MAX]` or `[2^62+1, 4]` becomes one
// error line naming the tensor instead of a wrapped count, an undersized buffer and a crash.
#pragma once

#include <cstdint>
#include <string_view>

#include "inr/dtype.h"
#include "inr/status.h"
#include "inr/tensor.h"

namespace inr {

// 16 GiB: far above any ImageNet classifier's largest weight or activation (ResNet50's largest activation at
// batch 256 is 3.2 GB), far below what would wrap a size_t or an int64 byte count.
inline constexpr int64_t kMaxTensorBytes = int64_t{1} << 34;

// The element count of `shape` for a tensor of `dtype` called `what` ("tensor 'w'", "value 'x'"), or an error
// when a dim is negative, the product overflows, or the bytes exceed kMaxTensorBytes.
Result<int64_t> checked_numel(const Shape& shape, DType dtype, std::string_view what);

// Dim arithmetic on numbers from a file (attributes, constant inputs such as Tile's repeats, ConvTranspose's
// strides): a * b or a + b, or an error saying that `what` ("output dim 0") overflows int64. Shape inference
// uses these so that a product that wraps into a small, plausible dim cannot slip past checked_numel.
Result<int64_t> checked_mul(int64_t a, int64_t b, std::string_view what);
Result<int64_t> checked_add(int64_t a, int64_t b, std::string_view what);

}  // namespace inr
