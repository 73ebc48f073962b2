// Tensor::from_vector copies exactly the tensor's bytes: a vector too short for the shape is refused instead of
// read past its end, and an empty tensor copies nothing (an empty vector's data() may be null, and memcpy from
// null is undefined even for 0 bytes; UBSan in the fuzz build flags it).
#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "inr/tensor.h"

namespace inr {
namespace {

TEST(TensorFromVector, CopiesTheValues) {
  Tensor t = Tensor::from_vector<float>(DType::kF32, {2, 2}, {1.f, 2.f, 3.f, 4.f});
  ASSERT_EQ(t.numel(), 4);
  EXPECT_EQ(t.data<float>()[3], 4.f);
}

TEST(TensorFromVector, AShortVectorIsRefused) {
  EXPECT_THROW(Tensor::from_vector<float>(DType::kF32, {3, 2}, {1.f, 2.f}), std::length_error);
  EXPECT_THROW(Tensor::from_vector<uint8_t>(DType::kF32, {1}, {1, 2, 3}), std::length_error);
}

TEST(TensorFromVector, ZeroElementsFromAnEmptyVector) {
  Tensor t = Tensor::from_vector<int64_t>(DType::kI64, {0, 3}, {});
  EXPECT_EQ(t.numel(), 0);
  EXPECT_EQ(t.bytes(), 0u);
  EXPECT_TRUE(t.defined());
}

}  // namespace
}  // namespace inr
