// What QLinearConv and QLinearMatMul share in their oneDNN lowering (onednn_lower_qconv.cc explains why it
// is exact): the requantisation as primitive attributes, and the choice between a compile-time and a
// runtime source zero point.
#pragma once

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

}  // namespace inr::onednn
