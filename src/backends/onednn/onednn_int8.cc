// Shared int8 requantisation for the oneDNN lowerings; see onednn_int8.h.
#include "backends/onednn/onednn_int8.h"

#include <omp.h>

#include <algorithm>

#include "core/cpu_tier.h"
#include "ops/quant_util.h"

namespace inr::onednn {

Int8Requant int8_requant(const Node& n) {
  Int8Requant r;
  float src_scale = load_scale(n.inputs[1]->constant, 0);
  float y_scale = load_scale(n.inputs[6]->constant, 0);
  const Tensor& w_scale = n.inputs[4]->constant;
  r.per_channel = w_scale.numel() != 1;
  r.scales.resize(static_cast<size_t>(w_scale.numel()));
  for (size_t i = 0; i < r.scales.size(); ++i) {
    float sw = src_scale * load_scale(w_scale, static_cast<int64_t>(i));
    r.scales[i] = sw / y_scale;
  }
  r.src_zp = load_qint(n.inputs[2]->constant, 0);
  r.y_zp = load_qint(n.inputs[7]->constant, 0);
  return r;
}

dnnl::primitive_attr Int8Requant::attr(int channel_dim, bool runtime_zp) const {
  dnnl::primitive_attr a = Compiler::base_attr();
  a.set_output_scales(per_channel ? 1 << channel_dim : 0, scales);
  if (src_zp != 0) a.set_zero_points(DNNL_ARG_SRC, 0, {runtime_zp ? DNNL_RUNTIME_S32_VAL : src_zp});
  dnnl::post_ops ops;
  if (y_zp != 0) {  // round, then add the zero point (onednn_lower_qconv.cc says why not a dst zero point)
    ops.append_eltwise(1.f, dnnl::algorithm::eltwise_round, 0.f, 0.f);
    ops.append_eltwise(1.f, dnnl::algorithm::eltwise_linear, 1.f, static_cast<float>(y_zp));
  }
  a.set_post_ops(ops);
  return a;
}

std::pair<int, Version> Int8Requant::runtime_zp_arg(Compiler& c) const {
  memory::desc zp_md({1}, memory::data_type::s32, memory::format_tag::x);
  return {DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC, c.owned_constant(&src_zp, zp_md, zp_md)};
}

Tensor s8_weights(const Value* w, const Value* w_zp) {
  if (w == nullptr || !w->is_constant()) return {};
  const DType t = w->constant.dtype();
  if (t != DType::kI8 && t != DType::kU8) return {};
  const int32_t want_zp = t == DType::kU8 ? 128 : 0;
  if (w_zp == nullptr && want_zp != 0) return {};
  if (w_zp) {
    if (!w_zp->is_constant() || w_zp->constant.dtype() != t) return {};
    for (int64_t i = 0; i < w_zp->constant.numel(); ++i)
      if (load_qint(w_zp->constant, i) != want_zp) return {};
  }
  if (t == DType::kI8) return w->constant;
  Tensor out = Tensor::empty(DType::kI8, w->constant.shape());
  const uint8_t* src = w->constant.data<uint8_t>();
  int8_t* dst = out.data<int8_t>();
  for (int64_t i = 0; i < out.numel(); ++i) dst[i] = static_cast<int8_t>(static_cast<int32_t>(src[i]) - 128);
  return out;
}

Int8Route int8_route(DType src, const Tensor& w) {
  if (cpu_has_exact_int8()) return Int8Route::kDirect;
  if (src != DType::kU8 && src != DType::kI8) return Int8Route::kNone;  // (s8 sources are shifted to u8)
  const int8_t* p = w.data<int8_t>();
  bool safe = std::all_of(p, p + w.numel(), [](int8_t v) { return v >= -kPairSafeMax && v <= kPairSafeMax; });
  return safe ? Int8Route::kDirect : Int8Route::kSplit;
}

void split_pair_safe(const Tensor& w, std::vector<int8_t>& main, std::vector<int8_t>& rest) {
  const int8_t* p = w.data<int8_t>();
  size_t n = static_cast<size_t>(w.numel());
  main.resize(n);
  rest.resize(n);
  for (size_t i = 0; i < n; ++i) {
    int32_t v = p[i], m = std::clamp(v, -kPairSafeMax, kPairSafeMax);
    main[i] = static_cast<int8_t>(m);
    rest[i] = static_cast<int8_t>(v - m);
  }
}

Version shifted_source(Compiler& c, Value* x, const memory::desc& s8_md, int step, const std::string& name) {
  memory::desc u8_md = s8_md;  // the same layout, as u8
  u8_md.data.data_type = dnnl_u8;
  Version in = c.as(x, s8_md, step);
  Version out = c.temporary(u8_md, step);
  size_t bytes = u8_md.get_size();
  c.add_custom(
      [bytes](void* const* data) {
        const auto* a = static_cast<const uint8_t*>(data[0]);
        auto* b = static_cast<uint8_t*>(data[1]);
        for (size_t i = 0; i < bytes; ++i) b[i] = static_cast<uint8_t>(a[i] ^ 0x80u);
      },
      {in, out}, step, name + " s8->u8", "inr int8 shift");
  return out;
}

namespace {

// Below this many outputs the requantisation runs on the calling thread.
constexpr int64_t kParallelOutputs = int64_t{1} << 15;

template <typename Y>
inline void requant_rows_body(const int32_t* acc, const int32_t* bias, int64_t r0, int64_t r1, int64_t cols,
                              const float* scale, bool per_channel, int32_t y_zp, QRange range, Y* y) {
  const float lo = static_cast<float>(range.lo - y_zp), hi = static_cast<float>(range.hi - y_zp);
  for (int64_t r = r0; r < r1; ++r) {
    const int32_t* a = acc + r * cols;
    Y* out = y + r * cols;
    for (int64_t j = 0; j < cols; ++j) {
      int32_t v = bias ? a[j] + bias[j] : a[j];
      float f = static_cast<float>(v) * scale[per_channel ? j : 0];
      f = f > lo ? f : lo;  // the steps of quantize_value, written out so the loop vectorises
      f = f < hi ? f : hi;
      out[j] = static_cast<Y>(static_cast<int32_t>(round_half_even(f)) + y_zp);
    }
  }
}

template <typename Y>
__attribute__((target("avx2"))) void requant_rows_avx2(const int32_t* acc, const int32_t* bias, int64_t r0,
                                                        int64_t r1, int64_t cols, const float* scale,
                                                        bool per_channel, int32_t y_zp, QRange range, Y* y) {
  requant_rows_body(acc, bias, r0, r1, cols, scale, per_channel, y_zp, range, y);
}

template <typename Y>
void requant_rows_baseline(const int32_t* acc, const int32_t* bias, int64_t r0, int64_t r1, int64_t cols,
                           const float* scale, bool per_channel, int32_t y_zp, QRange range, Y* y) {
  requant_rows_body(acc, bias, r0, r1, cols, scale, per_channel, y_zp, range, y);
}

template <typename Y>
void requant_typed(const int32_t* acc, const int32_t* bias, int64_t rows, int64_t cols, const std::vector<float>& s,
                   int32_t y_zp, QRange range, Y* y) {
  const bool avx2 = tier_has_avx2(cpu_tier()), per_channel = s.size() != 1;
  auto run = [&](int64_t r0, int64_t r1) {
    if (avx2)
      requant_rows_avx2(acc, bias, r0, r1, cols, s.data(), per_channel, y_zp, range, y);
    else
      requant_rows_baseline(acc, bias, r0, r1, cols, s.data(), per_channel, y_zp, range, y);
  };
  if (rows * cols < kParallelOutputs) {
    run(0, rows);
    return;
  }
#pragma omp parallel
  {
    int nt = omp_get_num_threads(), t = omp_get_thread_num();
    int64_t per = (rows + nt - 1) / nt;
    int64_t r0 = std::min(rows, per * t), r1 = std::min(rows, r0 + per);
    if (r0 < r1) run(r0, r1);
  }
}

}  // namespace

void requant_s32_rows(const int32_t* acc, const int32_t* bias, int64_t rows, int64_t cols,
                      const std::vector<float>& scales, int32_t y_zp, DType y_type, void* y) {
  QRange range = qrange(y_type);
  if (y_type == DType::kU8)
    requant_typed(acc, bias, rows, cols, scales, y_zp, range, static_cast<uint8_t*>(y));
  else
    requant_typed(acc, bias, rows, cols, scales, y_zp, range, static_cast<int8_t*>(y));
}

}  // namespace inr::onednn
