// The output stage of com.microsoft QGemm as ONNX Runtime computes it (see q_gemm.cc), shared by the
// reference kernel and the oneDNN backend (which gets the int32 accumulators from a oneDNN int8 matmul).
#pragma once

#include <cstdint>
#include <vector>

#include "inr/tensor.h"

namespace inr {

// scale[j] = alpha * a_scale * b_scale[j] (float32, left to right), divided by y_scale when given; one value
// when b_scale is per tensor.
std::vector<float> qgemm_scales(float alpha, float a_scale, const Tensor& b_scale, const Tensor* y_scale);

// y[i, j] from acc[i, j] (C already added): saturate(round_half_even(float(acc) * scale[j]) + y_zp) in
// `y_type` when `y_zp` is given, else float(acc) * scale[j] in f32. Rows are n long.
void qgemm_store(const int32_t* acc, int64_t m, int64_t n, const std::vector<float>& scales, const int32_t* y_zp,
                 DType y_type, void* y);

}  // namespace inr
