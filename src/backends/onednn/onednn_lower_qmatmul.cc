// 2-D QLinearMatMul with a constant s8 right-hand side as one oneDNN int8 matmul; the requantisation is the
// one of onednn_lower_qconv.cc (see its header for why it is exact): output scales a_scale * b_scale[j] /
// y_scale computed in the reference's float32 order, the source zero point through oneDNN (subtracted in
// int32), then post-ops round half to even and + y_zp, so the u8/s8 saturation sees integers only.
#include <optional>
#include <string>
#include <vector>

#include "backends/onednn/onednn_compiler.h"
#include "backends/onednn/onednn_int8.h"
#include "ops/quant_util.h"

namespace inr::onednn {

using dt = memory::data_type;
using tag = memory::format_tag;

namespace {
bool is_const_scalar(const Value* v) { return v != nullptr && v->is_constant() && v->constant.numel() == 1; }
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
  Int8Requant rq = int8_requant(n);
  memory::desc src_md = plain_md(a);
  memory::desc dst_md = plain_md(y);
  memory::desc w_plain({k, cols}, dt::s8, tag::ab);
  memory::desc w_any({k, cols}, dt::s8, tag::any);
  auto chosen_rt = choose_int8_pd<dnnl::matmul::primitive_desc>(rq.src_zp != 0, [&](bool rt) {
    return dnnl::matmul::primitive_desc(dnnl::matmul::desc(src_md, w_any, dst_md), rq.attr(1, rt), c.engine());
  });
  if (!chosen_rt) return error("oneDNN has no int8 matmul for this node");
  dnnl::matmul::primitive_desc pd = chosen_rt->first;
  bool runtime_zp = chosen_rt->second;
  Version src = c.as(a, src_md, step);
  Version wv = c.owned_constant(b->constant.raw(), w_plain, pd.weights_desc());
  Version dst = c.output(y, dst_md, step);
  std::vector<std::pair<int, Version>> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wv}, {DNNL_ARG_DST, dst}};
  if (runtime_zp) args.push_back(rq.runtime_zp_arg(c));
  c.add_primitive(dnnl::matmul(pd), pd, args, step, n.name);
  return Status::ok();
}

}  // namespace inr::onednn
