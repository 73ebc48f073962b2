// QGemm output stage; see qgemm_kernel.h.
#include "ops/qgemm_kernel.h"

#include "ops/quant_util.h"

namespace inr {

std::vector<float> qgemm_scales(float alpha, float a_scale, const Tensor& b_scale, const Tensor* y_scale) {
  std::vector<float> s(static_cast<size_t>(b_scale.numel()));
  for (size_t j = 0; j < s.size(); ++j) {
    s[j] = alpha * a_scale * load_scale(b_scale, static_cast<int64_t>(j));
    if (y_scale) s[j] /= load_scale(*y_scale, 0);
  }
  return s;
}

void qgemm_store(const int32_t* acc, int64_t m, int64_t n, const std::vector<float>& scales, const int32_t* y_zp,
                 DType y_type, void* y) {
  bool per_column = scales.size() != 1;
  QRange r = y_zp ? qrange(y_type) : QRange{};
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      int64_t k = i * n + j;
      float v = static_cast<float>(acc[k]) * scales[per_column ? static_cast<size_t>(j) : 0];
      if (!y_zp) {
        static_cast<float*>(y)[k] = v;
        continue;
      }
      int32_t q = quantize_value(v, *y_zp, r);
      if (y_type == DType::kU8)
        static_cast<uint8_t*>(y)[k] = static_cast<uint8_t>(q);
      else
        static_cast<int8_t*>(y)[k] = static_cast<int8_t>(q);
    }
}

}  // namespace inr
