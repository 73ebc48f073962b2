// Weight and bias quantization: per-tensor or per-channel, symmetric s8 ([-127, 127], zero point 0) or s4
// (scale max|w| / 7, zero point 0, packed INT4: AIMET's symmetric 4-bit grid, see quant_util.h),
// asymmetric u8, or u8 as symmetric s8 + 128 ([1, 255], zero point 128: QRangeSpec::offset128), and int32 bias = round(b / (x_scale * w_scale)) with zero point 0 — the scheme of ORT's
// quantizer (onnx_quantizer.py quantize_weight_per_channel / quantize_bias_static) and of the QLinearConv
// spec, where the bias scale must be x_scale * w_scale.
#include <algorithm>
#include <cmath>
#include <limits>

#include "quant/quant_util.h"

namespace inr::quant {

namespace {

template <typename T>
void quantize_span(const float* x, T* q, int64_t n, float scale, int32_t zp, int32_t qmin, int32_t qmax) {
  for (int64_t i = 0; i < n; ++i) {
    float v = std::nearbyint(x[i] / scale) + static_cast<float>(zp);
    q[i] = static_cast<T>(std::clamp(v, static_cast<float>(qmin), static_cast<float>(qmax)));
  }
}

void quantize_block(const float* x, void* q, int64_t n, DType t, float scale, int32_t zp, int32_t qmin, int32_t qmax) {
  if (t == DType::kI8) quantize_span(x, static_cast<int8_t*>(q), n, scale, zp, qmin, qmax);
  else quantize_span(x, static_cast<uint8_t*>(q), n, scale, zp, qmin, qmax);
}

// An int8 tensor holding 4-bit values -> the packed ONNX INT4 / UINT4 layout (two per byte, low nibble first).
Tensor pack4(const Tensor& wide, DType t) {
  Tensor q = Tensor::zeros(t, wide.shape());
  const auto* src = static_cast<const uint8_t*>(wide.raw());
  auto* dst = q.data<uint8_t>();
  for (int64_t i = 0; i < wide.numel(); ++i) dst[i / 2] |= static_cast<uint8_t>((src[i] & 0xf) << (4 * (i % 2)));
  return q;
}

}  // namespace

Tensor quantize_weight(const Tensor& w, const QRangeSpec& spec, int64_t axis, QParams& out) {
  const bool four = spec.dtype == DType::kI4;
  // 4-bit weights are quantized into an int8 tensor (the same values) and packed at the end.
  Tensor q = Tensor::empty(four ? DType::kI8 : spec.dtype, w.shape());
  int32_t qmin, qmax;
  qrange(spec, qmin, qmax);
  out = QParams{};
  out.dtype = spec.dtype;
  out.axis = axis;
  // View as [outer, channels, inner] around `axis` (per tensor: one channel).
  int64_t channels = axis < 0 ? 1 : w.dim(axis), outer = 1, inner = 1;
  if (axis >= 0) {
    for (int64_t i = 0; i < axis; ++i) outer *= w.dim(i);
    for (int64_t i = axis + 1; i < w.rank(); ++i) inner *= w.dim(i);
  } else {
    inner = w.numel();
  }
  const float* x = w.data<float>();
  for (int64_t c = 0; c < channels; ++c) {
    float lo = std::numeric_limits<float>::infinity(), hi = -lo;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        float v = x[(o * channels + c) * inner + i];
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
    if (lo > hi) lo = hi = 0;
    float s;
    int32_t zp;
    scale_zp(lo, hi, spec, s, zp);
    out.scale.push_back(s);
    out.zero_point.push_back(zp);
    for (int64_t o = 0; o < outer; ++o) {
      int64_t off = (o * channels + c) * inner;
      quantize_block(x + off, static_cast<uint8_t*>(q.raw()) + off, inner, q.dtype(), s, zp, qmin, qmax);
    }
  }
  return four ? pack4(q, spec.dtype) : q;
}

Tensor quantize_weight_with(const Tensor& w, const QParams& p) {
  const bool four = p.dtype == DType::kI4 || p.dtype == DType::kU4;
  const DType wide = p.dtype == DType::kI4 ? DType::kI8 : p.dtype == DType::kU4 ? DType::kU8 : p.dtype;
  Tensor q = Tensor::empty(wide, w.shape());
  const int32_t qmin = p.dtype == DType::kI4 ? -8 : p.dtype == DType::kU4 ? 0 : p.dtype == DType::kI8 ? -128 : 0;
  const int32_t qmax = p.dtype == DType::kI4 ? 7 : p.dtype == DType::kU4 ? 15 : p.dtype == DType::kI8 ? 127 : 255;
  const int64_t axis = p.axis;
  int64_t channels = axis < 0 ? 1 : w.dim(axis), outer = 1, inner = 1;
  if (axis >= 0) {
    for (int64_t i = 0; i < axis; ++i) outer *= w.dim(i);
    for (int64_t i = axis + 1; i < w.rank(); ++i) inner *= w.dim(i);
  } else {
    inner = w.numel();
  }
  const float* x = w.data<float>();
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t o = 0; o < outer; ++o) {
      int64_t off = (o * channels + c) * inner;
      quantize_block(x + off, static_cast<uint8_t*>(q.raw()) + off, inner, wide, p.scale[static_cast<size_t>(c)],
                     p.zero_point[static_cast<size_t>(c)], qmin, qmax);
    }
  return four ? pack4(q, p.dtype) : q;
}

Tensor quantize_with(const Tensor& x, const QParams& p) {
  Tensor q = Tensor::empty(p.dtype, x.shape());
  QRangeSpec spec{p.dtype, false, false};
  int32_t qmin, qmax;
  qrange(spec, qmin, qmax);
  quantize_block(x.data<float>(), q.raw(), x.numel(), p.dtype, p.scale[0], p.zero_point[0], qmin, qmax);
  return q;
}

Tensor quantize_bias(const Tensor& b, float x_scale, const std::vector<float>& w_scale) {
  Tensor q = Tensor::empty(DType::kI32, b.shape());
  const float* x = b.data<float>();
  for (int64_t i = 0; i < b.numel(); ++i) {
    // The bias scale is the float32 product, the value a DequantizeLinear of the bias and QLinearConv use.
    double s = static_cast<float>(x_scale * w_scale[w_scale.size() == 1 ? 0 : static_cast<size_t>(i)]);
    double v = s > 0 ? std::nearbyint(x[i] / s) : 0.0;
    v = std::clamp(v, static_cast<double>(std::numeric_limits<int32_t>::min()),
                   static_cast<double>(std::numeric_limits<int32_t>::max()));
    q.data<int32_t>()[i] = static_cast<int32_t>(v);
  }
  return q;
}

}  // namespace inr::quant
