// inr::Tensor: a dense, row-major (C-contiguous) n-dimensional array.
//
// Contract:
//  - Storage is shared by copies (like a shared_ptr); `clone()` makes a deep copy.
//  - Owned storage is 64-byte aligned. `Tensor::wrap` views caller memory that must outlive the tensor.
//  - A Tensor is not thread-safe for concurrent writes; concurrent reads are fine.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "inr/dtype.h"

namespace inr {

using Shape = std::vector<int64_t>;

int64_t shape_numel(const Shape& s);  // 1 for a scalar (rank 0)
std::string shape_str(const Shape& s);  // "[1,3,224,224]"

class Tensor {
 public:
  Tensor() = default;
  // Allocates zero-filled storage.
  static Tensor zeros(DType dtype, Shape shape);
  // Allocates uninitialised storage.
  static Tensor empty(DType dtype, Shape shape);
  // Views external memory (not owned).
  static Tensor wrap(DType dtype, Shape shape, void* data);
  // Copies the tensor's bytes from `v`, which must hold at least that many (a shorter vector is a bug in the
  // caller: std::length_error, not a read past its end). Zero elements copy nothing (v.data() may be null).
  template <typename T>
  static Tensor from_vector(DType dtype, Shape shape, const std::vector<T>& v) {
    Tensor t = empty(dtype, std::move(shape));
    if (t.bytes() > v.size() * sizeof(T))
      throw std::length_error("Tensor::from_vector: " + std::to_string(v.size() * sizeof(T)) + " bytes for a tensor of " +
                              std::to_string(t.bytes()));
    if (t.bytes() > 0) std::memcpy(t.raw(), v.data(), t.bytes());
    return t;
  }

  bool defined() const { return data_ != nullptr || (dtype_ != DType::kUndefined && numel() == 0); }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  int64_t dim(int64_t i) const { return shape_[static_cast<size_t>(i < 0 ? i + rank() : i)]; }
  int64_t numel() const { return shape_numel(shape_); }
  size_t bytes() const { return dtype_bytes(dtype_, numel()); }

  void* raw() { return data_; }
  const void* raw() const { return data_; }
  template <typename T>
  T* data() {
    return static_cast<T*>(data_);
  }
  template <typename T>
  const T* data() const {
    return static_cast<const T*>(data_);
  }
  template <typename T>
  std::span<T> span() {
    return {data<T>(), static_cast<size_t>(numel())};
  }
  template <typename T>
  std::span<const T> span() const {
    return {data<T>(), static_cast<size_t>(numel())};
  }

  // Same storage, new shape with the same element count.
  Tensor reshaped(Shape shape) const;
  Tensor clone() const;

 private:
  DType dtype_ = DType::kUndefined;
  Shape shape_;
  std::shared_ptr<void> storage_;
  void* data_ = nullptr;
};

}  // namespace inr
