// 2-D QLinearMatMul with a constant s8 right-hand side as one oneDNN int8 matmul; the requantisation is the
// one of onednn_lower_qconv.cc (see its header for why it is exact): output scales a_scale * b_scale[j] /
// y_scale computed in the reference's float32 order, the source zero point through oneDNN (subtracted in
// int32), then post-ops round half to even and + y_zp, so the u8/s8 saturation sees integers only.
//
// Without VNNI (onednn_int8.h's int8_route): an s8 `a` is shifted to u8 first, and weights with |b| > 64 are
// split into two pair-safe matmuls into one int32 accumulator (the second adds with a sum post-op), which
// the reference's requantisation (requant_s32_rows) or QGemm's output stage turns into y.
//
// com.microsoft QGemm: the oneDNN int8 matmul gives the exact int32 accumulators (source zero point
// subtracted, B transposed once at compile time when transB), and a custom step adds C and runs the
// reference's output stage (ops/qgemm_kernel.h) on them, float or requantised.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/onednn/onednn_compiler.h"
#include "backends/onednn/onednn_int8.h"
#include "core/cpu_tier.h"
#include "ops/qgemm_kernel.h"
#include "ops/quant_util.h"

namespace inr::onednn {

using dt = memory::data_type;
using tag = memory::format_tag;

Status qlinear_matmul_support(const Node& n) {
  if (n.inputs.size() != 8 || n.outputs.size() != 1 || n.outputs[0] == nullptr)
    return error("{} inputs and {} outputs", n.inputs.size(), n.outputs.size());
  const Value* a = n.inputs[0];
  const Value* b = n.inputs[3];
  const Value* b_scale = n.inputs[4];
  const Value* b_zp = n.input(5);
  const Value* y = n.outputs[0];
  if (!a || !b || a->is_constant() || !a->shape_known() || !y->shape_known())
    return error("a is absent, constant or without shape");
  if ((a->dtype != DType::kU8 && a->dtype != DType::kI8) || (y->dtype != DType::kU8 && y->dtype != DType::kI8))
    return error("a {} and y {} are not u8/s8", dtype_name(a->dtype), dtype_name(y->dtype));
  if (a->shape.size() != 2 || shape_numel(a->shape) == 0) return error("a {} is not a non-empty 2-D tensor", shape_str(a->shape));
  if (!b->is_constant() || b->shape.size() != 2 || b->shape[0] != a->shape[1])
    return error("b is not a constant 2-D tensor with {} rows", a->shape[1]);
  for (size_t i : {1, 2, 6, 7})
    if (!is_const_scalar(n.input(i))) return error("input {} (a/y scale or zero point) is not a constant scalar", i);
  int64_t cols = b->shape[1];
  if (!b_scale || !b_scale->is_constant() || (b_scale->constant.numel() != 1 && b_scale->constant.numel() != cols))
    return error("b_scale is not a constant per-tensor or per-column scale");
  Tensor bs8 = s8_weights(b, b_zp);
  if (!bs8.defined()) return error("b is not s8 with zero point 0 or u8 with zero point 128");
  if (int8_route(a->dtype, bs8) == Int8Route::kNone)
    return error("no exact int8 route on CPU tier {} for these weights", cpu_tier_name(cpu_tier()));
  return Status::ok();
}

namespace {

// The source of an int8 matmul on this tier: `a` as it is (plain), or shifted to u8 (zero point + 128).
Version matmul_source(Compiler& c, Value* a, int32_t& zp, int step, const std::string& name) {
  if (a->dtype != DType::kI8 || cpu_has_exact_int8()) return c.as(a, plain_md(a), step);
  zp += 128;
  return shifted_source(c, a, plain_md(a), step, name);
}

// int32 accumulators acc = (a - a_zp) b of a plain [m, k] u8/s8 `a` (after matmul_source) and the constant
// s8 `b`, stored [k, cols] (or [cols, k] when `b_transposed`): one primitive on the direct route, main + rest
// on the split route. Without VNNI the product runs as a 1x1 convolution ([m, k] row-major is NHWC with
// H = W = 1): its weights are reordered once at compile time, where oneDNN's gemm-based int8 matmul on those
// tiers packs the whole weight matrix again on every call (2-3x slower for a classifier at batch 1).
Status add_int8_matmul_acc(Compiler& c, const Node& n, const Version& src, int32_t a_zp, const Tensor& b,
                           bool b_transposed, const Version& acc, int step) {
  const Dims ad = src.md.dims(), cd = acc.md.dims();
  const int64_t m = ad[0], k = ad[1], cols = cd[1];
  const bool as_conv = !cpu_has_exact_int8();
  memory::desc w_src = as_conv ? memory::desc({cols, k, 1, 1}, dt::s8, b_transposed ? tag::oihw : tag::iohw)
                               : memory::desc({k, cols}, dt::s8, b_transposed ? tag::ba : tag::ab);
  memory::desc w_any(w_src.dims(), dt::s8, tag::any);
  // The 1x1 convolution's views of the same memories.
  Version src_v = as_conv ? Version{memory::desc({m, k, 1, 1}, src.md.data_type(), tag::acdb), src.ref} : src;
  Version acc_v = as_conv ? Version{memory::desc({m, cols, 1, 1}, dt::s32, tag::acdb), acc.ref} : acc;
  auto make = [&](bool rt, bool sum) -> std::unique_ptr<dnnl::primitive_desc> {
    dnnl::primitive_attr attr = Compiler::base_attr();
    if (a_zp != 0) attr.set_zero_points(DNNL_ARG_SRC, 0, {rt ? DNNL_RUNTIME_S32_VAL : a_zp});
    if (sum) {
      dnnl::post_ops ops;
      ops.append_sum(1.f);
      attr.set_post_ops(ops);
    }
    if (!as_conv)
      return std::make_unique<dnnl::matmul::primitive_desc>(dnnl::matmul::desc(src_v.md, w_any, acc_v.md), attr,
                                                            c.engine());
    using fwd = dnnl::convolution_forward;
    fwd::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_v.md, w_any, acc_v.md,
                {1, 1}, {0, 0}, {0, 0});
    return std::make_unique<fwd::primitive_desc>(d, attr, c.engine());
  };
  auto chosen = choose_int8_pd<std::shared_ptr<dnnl::primitive_desc>>(
      a_zp != 0, [&](bool rt) { return std::shared_ptr<dnnl::primitive_desc>(make(rt, false)); });
  if (!chosen) return error("oneDNN has no int8 matmul for this node");
  const auto& [first, rt] = *chosen;
  std::vector<int8_t> w_main, w_rest;
  const bool split = int8_route(DType::kU8, b) == Int8Route::kSplit;
  if (split) split_pair_safe(b, w_main, w_rest);
  for (int part = 0; part < (split ? 2 : 1); ++part) {
    std::shared_ptr<dnnl::primitive_desc> pd = part == 0 ? first : std::shared_ptr(make(rt, true));
    const void* w = !split ? b.raw() : part == 0 ? static_cast<const void*>(w_main.data()) : w_rest.data();
    Version wv = c.owned_constant(w, w_src, pd->weights_desc());
    std::vector<std::pair<int, Version>> args{{DNNL_ARG_SRC, src_v}, {DNNL_ARG_WEIGHTS, wv}, {DNNL_ARG_DST, acc_v}};
    if (rt) {
      memory::desc zp_md({1}, dt::s32, tag::x);
      args.emplace_back(DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC, c.owned_constant(&a_zp, zp_md, zp_md));
    }
    using conv_pd = dnnl::convolution_forward::primitive_desc;
    dnnl::primitive prim = as_conv ? dnnl::primitive(dnnl::convolution_forward(static_cast<conv_pd&>(*pd)))
                                   : dnnl::primitive(dnnl::matmul(static_cast<dnnl::matmul::primitive_desc&>(*pd)));
    c.add_primitive(prim, *pd, args, step, n.name + (!split ? "" : part == 0 ? " main" : " rest"));
  }
  return Status::ok();
}

}  // namespace

Status lower_qlinear_matmul(Compiler& c, Node& n, int step) {
  Value* a = n.inputs[0];
  Value* b = n.inputs[3];
  Value* y = n.outputs[0];
  int64_t k = a->shape[1], cols = b->shape[1];
  Int8Requant rq = int8_requant(n);
  const Tensor bs8 = s8_weights(b, n.input(5));
  if (int8_route(a->dtype, bs8) == Int8Route::kSplit || (a->dtype == DType::kI8 && !cpu_has_exact_int8())) {
    // int32 accumulators, then the reference's requantisation.
    int64_t m = a->shape[0];
    Version src = matmul_source(c, a, rq.src_zp, step, n.name);
    Version acc = c.temporary(memory::desc({m, cols}, dt::s32, tag::ab), step);
    INR_TRY(add_int8_matmul_acc(c, n, src, rq.src_zp, bs8, false, acc, step));
    Version dst = c.output(y, plain_md(y), step);
    c.add_custom(
        [m, cols, scales = rq.scales, y_zp = rq.y_zp, y_type = y->dtype](void* const* data) {
          requant_s32_rows(static_cast<const int32_t*>(data[0]), nullptr, m, cols, scales, y_zp, y_type, data[1]);
        },
        {acc, dst}, step, n.name + " requant", "inr int8 requant");
    c.copied(b);
    return Status::ok();
  }
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
  Version wv = c.owned_constant(bs8.raw(), w_plain, pd.weights_desc());
  c.copied(b);
  Version dst = c.output(y, dst_md, step);
  std::vector<std::pair<int, Version>> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wv}, {DNNL_ARG_DST, dst}};
  if (runtime_zp) args.push_back(rq.runtime_zp_arg(c));
  c.add_primitive(dnnl::matmul(pd), pd, args, step, n.name);
  return Status::ok();
}

Status qgemm_support(const Node& n) {
  if (n.outputs.size() != 1 || n.outputs[0] == nullptr || n.inputs.size() < 6)
    return error("{} inputs and {} outputs", n.inputs.size(), n.outputs.size());
  const Value* a = n.inputs[0];
  const Value* b = n.inputs[3];
  const Value* y = n.outputs[0];
  if (!a || !b || a->is_constant() || !a->shape_known() || !y->shape_known())
    return error("A is absent, constant or without shape");
  if (a->dtype != DType::kU8 && a->dtype != DType::kI8) return error("A {} is not u8/s8", dtype_name(a->dtype));
  if (a->shape.size() != 2 || shape_numel(a->shape) == 0) return error("A {} is not a non-empty 2-D tensor", shape_str(a->shape));
  if (n.attr_int("transA", 0) != 0) return error("transA is set");
  bool trans_b = n.attr_int("transB", 0) != 0;
  if (!b->is_constant() || b->shape.size() != 2) return error("B is not a constant 2-D tensor");
  int64_t k = trans_b ? b->shape[1] : b->shape[0], cols = trans_b ? b->shape[0] : b->shape[1];
  if (k != a->shape[1]) return error("shapes {} x {} do not multiply", shape_str(a->shape), shape_str(b->shape));
  for (size_t i : {1, 2})
    if (!is_const_scalar(n.input(i))) return error("input {} (A scale or zero point) is not a constant scalar", i);
  const Value* b_scale = n.inputs[4];
  if (!b_scale || !b_scale->is_constant() || (b_scale->constant.numel() != 1 && b_scale->constant.numel() != cols))
    return error("b_scale is not a constant per-tensor or per-column scale");
  const Tensor bs8 = s8_weights(b, n.input(5));
  if (!bs8.defined()) return error("B is not s8 with zero point 0 or u8 with zero point 128");
  if (const Value* c = n.input(6)) {
    int64_t numel = c->is_constant() ? c->constant.numel() : -1;
    if (c->dtype != DType::kI32 || (numel != 1 && numel != cols) || (numel == cols && c->shape.back() != cols))
      return error("C is not a constant int32 scalar or row of {} values", cols);
  }
  for (size_t i : {7, 8})
    if (!absent_or_const_scalar(n.input(i))) return error("input {} (Y scale or zero point) is not a constant scalar", i);
  if (n.input(8) && !n.input(7)) return error("Y zero point without a Y scale");
  if (int8_route(a->dtype, bs8) == Int8Route::kNone)
    return error("no exact int8 route on CPU tier {} for these weights", cpu_tier_name(cpu_tier()));
  return Status::ok();
}

Status lower_qgemm(Compiler& c, Node& n, int step) {
  Value* a = n.inputs[0];
  Value* b = n.inputs[3];
  Value* y = n.outputs[0];
  bool trans_b = n.attr_int("transB", 0) != 0;
  int64_t m = a->shape[0], k = a->shape[1], cols = trans_b ? b->shape[0] : b->shape[1];
  int32_t a_zp = load_qint(n.inputs[2]->constant, 0);
  Version src = matmul_source(c, a, a_zp, step, n.name);
  Version acc = c.temporary(memory::desc({m, cols}, dt::s32, tag::ab), step);
  // B as stored, viewed as [K, N]
  INR_TRY(add_int8_matmul_acc(c, n, src, a_zp, s8_weights(b, n.input(5)), trans_b, acc, step));

  // Output stage: + C (int32), then the reference's scaling and rounding.
  const Tensor* y_scale = n.input(7) ? &n.input(7)->constant : nullptr;
  std::vector<float> scales =
      qgemm_scales(n.attr_float("alpha", 1.f), load_scale(n.inputs[1]->constant, 0), n.inputs[4]->constant, y_scale);
  std::vector<int32_t> bias;
  if (const Value* cv = n.input(6))
    for (int64_t j = 0; j < cols; ++j) bias.push_back(cv->constant.data<int32_t>()[cv->constant.numel() == 1 ? 0 : j]);
  std::optional<int32_t> y_zp;
  if (n.input(8)) y_zp = load_qint(n.input(8)->constant, 0);
  DType y_type = y->dtype;
  Version dst = c.output(y, plain_md(y), step);
  c.add_custom([m, cols, scales, bias, y_zp, y_type](void* const* data) {
    auto* acc = static_cast<int32_t*>(data[0]);
    if (!bias.empty())
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < cols; ++j) acc[i * cols + j] += bias[static_cast<size_t>(j)];
    qgemm_store(acc, m, cols, scales, y_zp ? &*y_zp : nullptr, y_type, data[1]);
  }, {acc, dst}, step, n.name + " output");
  c.copied(b);
  c.copied(n.input(6));  // in the output kernel's bias
  return Status::ok();
}

}  // namespace inr::onednn
