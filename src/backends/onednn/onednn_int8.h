// What QLinearConv and QLinearMatMul share in their oneDNN lowering (onednn_lower_qconv.cc explains why it
// is exact): the requantisation as primitive attributes, and the choice between a compile-time and a
// runtime source zero point.
#pragma once

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "backends/onednn/onednn_compiler.h"

namespace inr::onednn {

// A constant with one element (the per-tensor scales and zero points the int8 lowerings require).
inline bool is_const_scalar(const Value* v) { return v != nullptr && v->is_constant() && v->constant.numel() == 1; }
// An optional input that, when present, is a constant scalar.
inline bool absent_or_const_scalar(const Value* v) { return v == nullptr || is_const_scalar(v); }

// Inputs 1, 2 (source scale / zero point), 4 (weight scales, 1 or one per output channel) and 6, 7 (output
// scale / zero point): the same positions in QLinearConv and QLinearMatMul.
struct Int8Requant {
  std::vector<float> scales;  // (src_scale * w_scale[j]) / y_scale, in the reference's float order
  bool per_channel = false;
  int32_t src_zp = 0, y_zp = 0;

  // Output scales on `channel_dim` of the destination, the source zero point (compile-time, or runtime when
  // `runtime_zp`), and post-ops that round half to even and then add y_zp.
  dnnl::primitive_attr attr(int channel_dim, bool runtime_zp) const;
  // The runtime source zero point argument, when `runtime_zp` was chosen.
  std::pair<int, Version> runtime_zp_arg(Compiler& c) const;
};
Int8Requant int8_requant(const Node& n);

// is_reference_impl for a primitive descriptor held by pointer (lowerings that pick between primitive kinds).
inline bool is_reference_impl(const std::shared_ptr<dnnl::primitive_desc>& pd) { return is_reference_impl(*pd); }

// The primitive descriptor `make(runtime_zp)` gives, preferring a compile-time zero point and a non-reference
// implementation (some fast kernels take runtime zero points only); with whether the zero point is runtime.
template <typename PD, typename Make>
std::optional<std::pair<PD, bool>> choose_int8_pd(bool has_src_zp, Make make) {
  std::optional<std::pair<PD, bool>> chosen;
  for (bool rt : {false, true}) {
    if (rt && !has_src_zp) break;
    try {
      PD pd = make(rt);
      if (!chosen || (is_reference_impl(chosen->first) && !is_reference_impl(pd))) chosen.emplace(pd, rt);
    } catch (const dnnl::error&) {
    }
    if (chosen && !is_reference_impl(chosen->first)) break;
  }
  return chosen;
}

// The constant weights `w` (input `w_zp` its zero point, may be null) as s8 with zero point 0, which is what
// oneDNN 2.6 takes: s8 weights whose zero point is absent or all 0 as they are, u8 weights whose zero point is
// 128 on every channel (what `inr quantize --target portable` writes) as w - 128, exactly. An undefined
// tensor for anything else (the node stays on the reference backend).
Tensor s8_weights(const Value* w, const Value* w_zp);

// Exactness without VNNI (AVX2, AVX-512 without VNNI). oneDNN's int8 kernels there multiply u8 sources by s8
// weights with vpmaddubsw, which adds two u8 x s8 products into a saturating int16. When every weight has
// |w| <= kPairSafeMax, |x0 w0 + x1 w1| <= 2 * 255 * 64 = 32640 < 32767 for ANY pairing oneDNN forms, so the
// kernel is exact. Other weights are split: main = clamp(w, -64, 64) and rest = w - main (in [-64, 63]);
// both parts are pair-safe, and the two int32 accumulators add up to the exact one. oneDNN halves s8 weights
// for s8 sources (scale_adjust), which rounds, so a lowering that takes an s8 source shifts it to u8 first
// (x + 128, zero point + 128) where the route is not that of a VNNI tier.
constexpr int32_t kPairSafeMax = 64;
enum class Int8Route {
  kDirect,  // one primitive with the weights as they are (a VNNI/AMX tier, or pair-safe weights)
  kSplit,   // two primitives (main + rest) into int32, then inr's requantisation
  kNone,    // no exact oneDNN route: the node stays on the reference backend
};
// The route for u8/s8 source `src` (as u8) times the s8 weights `w` on the process's CPU tier.
Int8Route int8_route(DType src, const Tensor& w);
// main = clamp(w, -kPairSafeMax, kPairSafeMax), rest = w - main, element by element (w is s8).
void split_pair_safe(const Tensor& w, std::vector<int8_t>& main, std::vector<int8_t>& rest);

// x + 128 as u8 in the layout `s8_md` (x's s8 version in that layout, xor 0x80 byte by byte; an inr step):
// the s8 -> u8 shift of a source on a tier without VNNI (its zero point goes up by 128 with it).
Version shifted_source(Compiler& c, Value* x, const memory::desc& s8_md, int step, const std::string& name);

// The reference's requantisation of int32 accumulators laid out rows x cols (cols = output channels):
// y[r, j] = saturate(round_half_even(float(acc[r, j] + bias[j]) * scale[j]) + y_zp), scale per tensor (one
// value) or per channel; `bias` may be null. Bit-exact with ops/quant_util.h's requantize_row (same float
// operations), vectorised and OpenMP-parallel over rows.
void requant_s32_rows(const int32_t* acc, const int32_t* bias, int64_t rows, int64_t cols,
                      const std::vector<float>& scales, int32_t y_zp, DType y_type, void* y);

}  // namespace inr::onednn
