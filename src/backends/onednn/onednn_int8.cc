// Shared int8 requantisation for the oneDNN lowerings; see onednn_int8.h.
#include "backends/onednn/onednn_int8.h"

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

}  // namespace inr::onednn
