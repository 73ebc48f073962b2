// 2-D QLinearMatMul with a constant s8 right-hand side as one oneDNN int8 matmul; the requantisation is the
// one of onednn_lower_qconv.cc (see its header for why it is exact): output scales a_scale * b_scale[j] /
// y_scale computed in the reference's float32 order, the source zero point through oneDNN (subtracted in
// int32), then post-ops round half to even and + y_zp, so the u8/s8 saturation sees integers only.
#include <optional>
#include <string>
#include <vector>

#include "backends/onednn/onednn_compiler.h"
#include "ops/quant_util.h"

namespace inr::onednn {

using dt = memory::data_type;
using tag = memory::format_tag;

namespace {
bool is_const_scalar(const Value* v) { return v != nullptr && v->is_constant() && v->constant.numel() == 1; }
bool is_reference_impl(const dnnl::primitive_desc_base& pd) {
  return std::string(pd.impl_info_str()).rfind("ref", 0) == 0;
}
}  // namespace

bool qlinear_matmul_supported(const Node& n) {
  if (n.inputs.size() != 8 || n.outputs.size() != 1 || n.outputs[0] == nullptr) return false;
  const Value* a = n.inputs[0];
  const Value* b = n.inputs[3];
  const Value* b_scale = n.inputs[4];
  const Value* b_zp = n.input(5);
  const Value* y = n.outputs[0];
  if (!a || !b || a->is_constant() || !a->shape_known() || !y->shape_known()) return false;
  if (a->dtype != DType::kU8 && a->dtype != DType::kI8) return false;
  if (y->dtype != DType::kU8 && y->dtype != DType::kI8) return false;
  if (a->shape.size() != 2 || shape_numel(a->shape) == 0) return false;
  if (!b->is_constant() || b->constant.dtype() != DType::kI8 || b->shape.size() != 2 || b->shape[0] != a->shape[1])
    return false;
  for (size_t i : {1, 2, 6, 7})
    if (!is_const_scalar(n.input(i))) return false;
  int64_t cols = b->shape[1];
  if (!b_scale || !b_scale->is_constant() || (b_scale->constant.numel() != 1 && b_scale->constant.numel() != cols))
    return false;
  if (b_zp) {
    if (!b_zp->is_constant()) return false;
    for (int64_t i = 0; i < b_zp->constant.numel(); ++i)
      if (load_qint(b_zp->constant, i) != 0) return false;
  }
  return cpu_has_exact_int8();
}

Status lower_qlinear_matmul(Compiler& c, Node& n, int step) {
  Value* a = n.inputs[0];
  Value* b = n.inputs[3];
  Value* y = n.outputs[0];
  int64_t k = a->shape[1], cols = b->shape[1];
  float a_scale = load_scale(n.inputs[1]->constant, 0);
  float y_scale = load_scale(n.inputs[6]->constant, 0);
  const Tensor& b_scale = n.inputs[4]->constant;
  bool per_column = b_scale.numel() != 1;
  std::vector<float> scales(static_cast<size_t>(per_column ? cols : 1));
  for (size_t j = 0; j < scales.size(); ++j) {
    float ab = a_scale * load_scale(b_scale, static_cast<int64_t>(j));
    scales[j] = ab / y_scale;
  }
  int32_t a_zp = load_qint(n.inputs[2]->constant, 0);
  int32_t y_zp = load_qint(n.inputs[7]->constant, 0);

  dnnl::post_ops ops;
  if (y_zp != 0) {
    ops.append_eltwise(1.f, dnnl::algorithm::eltwise_round, 0.f, 0.f);
    ops.append_eltwise(1.f, dnnl::algorithm::eltwise_linear, 1.f, static_cast<float>(y_zp));
  }
  memory::desc src_md = plain_md(a);
  memory::desc dst_md = plain_md(y);
  memory::desc w_plain({k, cols}, dt::s8, tag::ab);
  memory::desc w_any({k, cols}, dt::s8, tag::any);
  auto make_pd = [&](bool runtime_zp) {
    dnnl::primitive_attr attr = Compiler::base_attr();
    attr.set_output_scales(per_column ? 1 << 1 : 0, scales);
    if (a_zp != 0) attr.set_zero_points(DNNL_ARG_SRC, 0, {runtime_zp ? DNNL_RUNTIME_S32_VAL : a_zp});
    attr.set_post_ops(ops);
    return dnnl::matmul::primitive_desc(dnnl::matmul::desc(src_md, w_any, dst_md), attr, c.engine());
  };
  std::optional<dnnl::matmul::primitive_desc> chosen;
  bool runtime_zp = false;
  for (bool rt : {false, true}) {
    if (rt && a_zp == 0) break;
    try {
      auto pd = make_pd(rt);
      if (!chosen || (is_reference_impl(*chosen) && !is_reference_impl(pd))) {
        chosen = pd;
        runtime_zp = rt;
      }
    } catch (const dnnl::error&) {
    }
    if (chosen && !is_reference_impl(*chosen)) break;
  }
  if (!chosen) return error("oneDNN has no int8 matmul for this node");
  dnnl::matmul::primitive_desc pd = *chosen;
  Version src = c.as(a, src_md, step);
  Version wv = c.owned_constant(b->constant.raw(), w_plain, pd.weights_desc());
  Version dst = c.output(y, dst_md, step);
  std::vector<std::pair<int, Version>> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wv}, {DNNL_ARG_DST, dst}};
  if (runtime_zp) {
    memory::desc zp_md({1}, dt::s32, tag::x);
    args.emplace_back(DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC, c.owned_constant(&a_zp, zp_md, zp_md));
  }
  c.add_primitive(dnnl::matmul(pd), pd, args, step, n.name);
  return Status::ok();
}

}  // namespace inr::onednn
