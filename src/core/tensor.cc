#include "inr/tensor.h"

#include <cstdlib>
#include <stdexcept>

#include <fmt/format.h>

#include "core/big_alloc.h"

namespace inr {

namespace {
constexpr size_t kTensorAlignment = 64;  // one cache line / one AVX-512 register

std::shared_ptr<void> allocate(size_t bytes) {
  size_t rounded = (bytes + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
  if (rounded == 0) rounded = kTensorAlignment;
  void* p = big_alloc(rounded, kTensorAlignment);  // a large tensor's pages go back to the system when freed
  return std::shared_ptr<void>(p, [rounded](void* q) { big_free(q, rounded); });
}
}  // namespace

int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

std::string shape_str(const Shape& s) { return fmt::format("[{}]", fmt::join(s, ",")); }

Tensor Tensor::empty(DType dtype, Shape shape) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.storage_ = allocate(t.bytes());
  t.data_ = t.storage_.get();
  return t;
}

Tensor Tensor::zeros(DType dtype, Shape shape) {
  Tensor t = empty(dtype, std::move(shape));
  std::memset(t.data_, 0, t.bytes());
  return t;
}

Tensor Tensor::wrap(DType dtype, Shape shape, void* data) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.data_ = data;
  return t;
}

Tensor Tensor::reshaped(Shape shape) const {
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::clone() const {
  Tensor t = empty(dtype_, shape_);
  if (bytes() > 0) std::memcpy(t.data_, data_, bytes());
  return t;
}

}  // namespace inr
