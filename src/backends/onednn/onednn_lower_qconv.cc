// QLinearConv as one oneDNN int8 convolution (VNNI / AMX): u8 or s8 activations in whatever layout oneDNN
// prefers (`any`, kept between consecutive int8 convolutions of a partition), s8 weights reordered once at
// compile time (the reorder also computes oneDNN's s8-source and source-zero-point compensations), int32 bias.
//
// Exactness. The reference (src/ops/q_linear_conv.cc, bit-exact with ONNX Runtime) computes
//   acc = B[m] + sum (x - x_zp) * w          (int32; w_zp is 0 here, or 128 for u8 weights, taken as w - 128)
//   y   = saturate(round_half_even(float(acc) * scale[m]) + y_zp),  scale[m] = x_scale * w_scale[m] / y_scale
// oneDNN's int8 convolution computes sum x * w in int32, subtracts x_zp * sum w (and, for padded borders,
// the taps that fall outside) in int32 -- so padding behaves as x_zp, i.e. contributes 0 -- converts to
// float, adds float(B), multiplies by the output scale we pass (scale[m], computed here in the reference's
// order), applies post-ops, saturates in float and converts with round-to-nearest-even (cvtps2dq). That
// equals the reference whenever float(acc - B) + float(B) == float(acc), which holds when |acc - B|, |B| and
// |acc| are all below 2^24 (every integer is then a float; a 3x3x512 layer would need |x - x_zp| * |w| to
// average over 3600 of its possible 32640 per tap, with one sign, to leave that range).
//
// The output zero point is NOT given to oneDNN as a dst zero point: it would be added before rounding,
// round_half_even(v + y_zp), which differs from round_half_even(v) + y_zp on ties when y_zp is odd and when
// adding y_zp drops low fraction bits of v. Instead the post-ops round first (eltwise_round, half to even)
// and then add y_zp (eltwise_linear 1 * v + y_zp, exact on integers), and the final saturate-and-convert
// sees integers only: saturate(round(v)) + y_zp == reference, bit for bit.
//
// Without VNNI (AVX2, AVX-512 without VNNI; the CPU tier of core/cpu_tier.h, which also caps oneDNN), the
// kernels multiply u8 x s8 pairs with vpmaddubsw, whose int16 sums saturate, and halve s8 weights for s8
// sources. int8_route() (onednn_int8.h) decides: u8 sources with weights |w| <= 64 take the path above as it
// is (no pair can saturate); other u8-source layers are split into two pair-safe convolutions, main =
// clamp(w, -64, 64) and rest = w - main, that write int32 accumulators in channels-last order (the second
// adds onto the first with a sum post-op), and inr's requantisation (requant_s32_rows, the reference's float
// steps, plus the int32 bias) writes y. An s8 source is first made u8 exactly, x + 128 (a byte xor 0x80, in
// channels-last order) with source zero point x_zp + 128: sum (x - x_zp) w is unchanged.
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "backends/onednn/onednn_compiler.h"
#include "backends/onednn/onednn_int8.h"
#include "core/cpu_tier.h"
#include "ops/quant_util.h"

namespace inr::onednn {

using dt = memory::data_type;
using tag = memory::format_tag;

bool cpu_has_exact_int8() { return tier_has_vnni(cpu_tier()); }

Status qlinear_conv_support(const Node& n) {
  if (n.inputs.size() < 8 || n.inputs.size() > 9 || n.outputs.size() != 1)
    return error("{} inputs and {} outputs", n.inputs.size(), n.outputs.size());
  const Value* x = n.inputs[0];
  const Value* w = n.inputs[3];
  const Value* w_scale = n.inputs[4];
  const Value* w_zp = n.input(5);
  const Value* b = n.input(8);
  const Value* y = n.outputs[0];
  if (!x || !w || !y || !x->shape_known() || !y->shape_known()) return error("x, w or y absent or without shape");
  if (x->is_constant()) return error("x is constant");
  if ((x->dtype != DType::kU8 && x->dtype != DType::kI8) || (y->dtype != DType::kU8 && y->dtype != DType::kI8))
    return error("x {} and y {} are not u8/s8", dtype_name(x->dtype), dtype_name(y->dtype));
  if (x->shape.size() != 4 || shape_numel(x->shape) == 0 || shape_numel(y->shape) == 0)
    return error("x {} is not a non-empty 4-D tensor", shape_str(x->shape));
  if (!w->is_constant() || w->shape.size() != 4) return error("weights are not a constant 4-D tensor");
  for (size_t i : {1, 2, 6, 7})
    if (!is_const_scalar(n.input(i))) return error("input {} (x/y scale or zero point) is not a constant scalar", i);
  int64_t m = w->shape[0];
  if (!w_scale || !w_scale->is_constant() || (w_scale->constant.numel() != 1 && w_scale->constant.numel() != m))
    return error("w_scale is not a constant per-tensor or per-channel scale");
  // oneDNN 2.6 has no weight zero points: s8 weights with zero point 0, or u8 ones with 128 (made s8)
  Tensor ws8 = s8_weights(w, w_zp);
  if (!ws8.defined()) return error("weights are not s8 with zero point 0 or u8 with zero point 128 (oneDNN 2.6 has no weight zero points)");
  if (b && (!b->is_constant() || b->constant.dtype() != DType::kI32 || b->shape != Shape{m}))
    return error("bias is not a constant int32 vector of the output channels");
  int64_t group = n.attr_int("group", 1);
  if (group < 1 || x->shape[1] != w->shape[1] * group || m % group != 0)
    return error("group {} does not fit {} input channels and weights {}", group, x->shape[1], shape_str(w->shape));
  INR_ASSIGN_OR_RETURN(WindowGeometry g, window_geometry(n, x->shape, {w->shape[2], w->shape[3]}, false));
  INR_TRY(window_fits_onednn_int(g.in, g.out, g.kernel, g.stride, g.dilation, g.pad_begin, g.pad_end));
  if (int8_route(x->dtype, ws8) == Int8Route::kNone)
    return error("no exact int8 route on CPU tier {} for these weights", cpu_tier_name(cpu_tier()));
  return Status::ok();
}

namespace {

// Whether the node's s8 source must be shifted to u8 (a tier without VNNI; see the header).
bool shifts_source(const Value* x) { return x->dtype == DType::kI8 && !cpu_has_exact_int8(); }
// The s8 channels-last layout the shift reads x in.
memory::desc s8_channels_last(const Value* x) { return memory::desc(to_dims(x->shape), dt::s8, tag::acdb); }

// The split route (header): two pair-safe convolutions into one int32 accumulator, then requantisation.
Status lower_qlinear_conv_split(Compiler& c, Node& n, int step, const WindowGeometry& g, const Tensor& ws8) {
  Value* x = n.inputs[0];
  Value* w = n.inputs[3];
  Value* b = n.input(8);
  Value* y = n.outputs[0];
  const Shape& ws = w->shape;
  int64_t group = n.attr_int("group", 1);
  int64_t m = ws[0];
  Int8Requant rq = int8_requant(n);
  const bool shift = shifts_source(x);
  if (shift) rq.src_zp += 128;
  Dims w_dims = group == 1 ? Dims{ws[0], ws[1], ws[2], ws[3]} : Dims{group, ws[0] / group, ws[1], ws[2], ws[3]};
  memory::desc w_plain(w_dims, dt::s8, group == 1 ? tag::oihw : tag::goihw);
  memory::desc w_any(w_dims, dt::s8, tag::any);
  memory::desc acc_md(to_dims(y->shape), dt::s32, tag::acdb);  // rows = N*OH*OW, cols = M
  Dims strides(g.stride.begin(), g.stride.end());
  Dims dilates{g.dilation[0] - 1, g.dilation[1] - 1};
  Dims pad_l(g.pad_begin.begin(), g.pad_begin.end());
  Dims pad_r(g.pad_end.begin(), g.pad_end.end());
  using fwd = dnnl::convolution_forward;
  auto make_pd = [&](const memory::desc& src, bool runtime_zp, bool sum) {
    dnnl::primitive_attr a = Compiler::base_attr();
    if (rq.src_zp != 0) a.set_zero_points(DNNL_ARG_SRC, 0, {runtime_zp ? DNNL_RUNTIME_S32_VAL : rq.src_zp});
    if (sum) {
      dnnl::post_ops ops;
      ops.append_sum(1.f);
      a.set_post_ops(ops);
    }
    fwd::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src, w_any, acc_md,
                strides, dilates, pad_l, pad_r);
    return fwd::primitive_desc(d, a, c.engine());
  };
  memory::desc src_any = shift ? memory::desc(to_dims(x->shape), dt::u8, tag::acdb)
                               : memory::desc(to_dims(x->shape), dnnl_type(x->dtype), tag::any);
  auto picked =
      choose_int8_pd<fwd::primitive_desc>(rq.src_zp != 0, [&](bool rt) { return make_pd(src_any, rt, false); });
  if (!picked) return error("oneDNN has no int8 convolution for this node");
  fwd::primitive_desc main_pd = picked->first;
  bool runtime_zp = picked->second;
  // The rest adds onto the main accumulator (sum post-op, exact on int32 values below 2^24 like the bias in
  // the direct route); a second accumulator when oneDNN has no fast kernel with the sum.
  fwd::primitive_desc rest_pd = make_pd(main_pd.src_desc(), runtime_zp, true);
  bool fused_sum = !is_reference_impl(rest_pd) || is_reference_impl(main_pd);
  if (!fused_sum) rest_pd = make_pd(main_pd.src_desc(), runtime_zp, false);

  std::vector<int8_t> w_main, w_rest;
  split_pair_safe(ws8, w_main, w_rest);
  Version src = shift ? shifted_source(c, x, s8_channels_last(x), step, n.name) : c.as(x, main_pd.src_desc(), step);
  Version acc = c.temporary(acc_md, step);
  Version acc2 = fused_sum ? acc : c.temporary(acc_md, step);
  for (int part = 0; part < 2; ++part) {
    const fwd::primitive_desc& pd = part == 0 ? main_pd : rest_pd;
    Version wv = c.owned_constant(part == 0 ? w_main.data() : w_rest.data(), w_plain, pd.weights_desc());
    std::vector<std::pair<int, Version>> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wv},
                                              {DNNL_ARG_DST, part == 0 ? acc : acc2}};
    if (runtime_zp) args.push_back(rq.runtime_zp_arg(c));
    c.add_primitive(fwd(pd), pd, args, step, n.name + (part == 0 ? " main" : " rest"));
  }

  std::vector<int32_t> bias;
  if (b) bias.assign(b->constant.data<int32_t>(), b->constant.data<int32_t>() + m);
  int64_t rows = shape_numel(y->shape) / m;
  int32_t y_zp = rq.y_zp;
  DType y_type = y->dtype;
  std::vector<float> scales = rq.scales;
  memory::desc y_md(to_dims(y->shape), dnnl_type(y_type), tag::acdb);
  Version dst = c.output(y, y_md, step);
  std::vector<Version> args{acc};
  if (!fused_sum) args.push_back(acc2);
  args.push_back(dst);
  c.add_custom(
      [rows, m, bias, scales, y_zp, y_type, fused_sum](void* const* data) {
        auto* a = static_cast<int32_t*>(data[0]);
        if (!fused_sum) {
          const auto* a2 = static_cast<const int32_t*>(data[1]);
          for (int64_t i = 0; i < rows * m; ++i) a[i] += a2[i];
        }
        requant_s32_rows(a, bias.empty() ? nullptr : bias.data(), rows, m, scales, y_zp, y_type,
                         data[fused_sum ? 1 : 2]);
      },
      args, step, n.name + " requant", "inr int8 requant");
  c.copied(w);  // in w_main / w_rest's owned copies
  c.copied(b);  // in the requant kernel's bias
  return Status::ok();
}

}  // namespace

Status lower_qlinear_conv(Compiler& c, Node& n, int step) {
  Value* x = n.inputs[0];
  Value* w = n.inputs[3];
  Value* b = n.input(8);
  Value* y = n.outputs[0];
  const Shape& ws = w->shape;  // [M, C/group, kh, kw]
  INR_ASSIGN_OR_RETURN(WindowGeometry g, window_geometry(n, x->shape, {ws[2], ws[3]}, false));
  int64_t group = n.attr_int("group", 1);
  int64_t m = ws[0];
  // A depthwise convolution (one input and one output channel per group) on oneDNN's direct JIT kernels
  // widens u8 and s8 to 16 bits and multiplies with vpmaddwd against a zero: exact with any weights (oneDNN
  // 2.6 jit_uni_x8s8s32x_conv_kernel.cpp, compute_ker_dw); its gemm-based kernels pair taps and are not.
  const Tensor ws8 = s8_weights(w, n.input(5));
  const bool split = int8_route(x->dtype, ws8) == Int8Route::kSplit;
  const bool depthwise = group > 1 && ws[0] == group && ws[1] == 1;
  if (split && !depthwise) return lower_qlinear_conv_split(c, n, step, g, ws8);

  Int8Requant rq = int8_requant(n);
  const bool shift = shifts_source(x);
  if (shift) rq.src_zp += 128;
  dt x_dt = dnnl_type(x->dtype), y_dt = dnnl_type(y->dtype);
  Dims w_dims = group == 1 ? Dims{ws[0], ws[1], ws[2], ws[3]} : Dims{group, ws[0] / group, ws[1], ws[2], ws[3]};
  memory::desc w_plain(w_dims, dt::s8, group == 1 ? tag::oihw : tag::goihw);
  memory::desc w_any(w_dims, dt::s8, tag::any);
  memory::desc bias_md = b ? memory::desc({m}, dt::s32, tag::x) : memory::desc();
  Dims strides(g.stride.begin(), g.stride.end());
  Dims dilates{g.dilation[0] - 1, g.dilation[1] - 1};
  Dims pad_l(g.pad_begin.begin(), g.pad_begin.end());
  Dims pad_r(g.pad_end.begin(), g.pad_end.end());

  using fwd = dnnl::convolution_forward;
  auto make_pd = [&](const memory::desc& src, bool runtime_zp) {
    memory::desc dst(to_dims(y->shape), y_dt, tag::any);
    auto d = b ? fwd::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src, w_any,
                           bias_md, dst, strides, dilates, pad_l, pad_r)
               : fwd::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src, w_any, dst,
                           strides, dilates, pad_l, pad_r);
    return fwd::primitive_desc(d, rq.attr(1, runtime_zp), c.engine());
  };
  Version xv = c.current(x);
  memory::desc src_any = shift ? memory::desc(to_dims(x->shape), dt::u8, tag::acdb)
                               : memory::desc(to_dims(x->shape), x_dt, tag::any);
  auto picked = choose_int8_pd<fwd::primitive_desc>(rq.src_zp != 0, [&](bool rt) { return make_pd(src_any, rt); });
  if (!picked) return error("oneDNN has no int8 convolution for this node");
  std::optional<fwd::primitive_desc> chosen = picked->first;
  bool runtime_zp = picked->second;
  // Keep the producer's layout (another int8 convolution's output) when a fast kernel reads it.
  if (!shift && chosen->src_desc() != xv.md && xv.md != plain_md(x)) {
    try {
      auto fixed = make_pd(xv.md, runtime_zp);
      if (!is_reference_impl(fixed)) chosen = fixed;
    } catch (const dnnl::error&) {
    }
  }
  dnnl::convolution_forward::primitive_desc pd = *chosen;
  if (split) {
    std::string impl = pd.impl_info_str();
    if (impl.rfind("jit", 0) != 0 || impl.find("gemm") != std::string::npos)
      return lower_qlinear_conv_split(c, n, step, g, ws8);
  }
  Version src = shift ? shifted_source(c, x, s8_channels_last(x), step, n.name) : c.as(x, pd.src_desc(), step);
  Version wv = c.owned_constant(ws8.raw(), w_plain, pd.weights_desc());
  Version dst = c.output(y, pd.dst_desc(), step);
  std::vector<std::pair<int, Version>> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wv}, {DNNL_ARG_DST, dst}};
  if (b) args.emplace_back(DNNL_ARG_BIAS, c.owned_constant(b->constant.raw(), bias_md, pd.bias_desc()));
  c.copied(w);
  c.copied(b);
  if (runtime_zp) args.push_back(rq.runtime_zp_arg(c));
  c.add_primitive(dnnl::convolution_forward(pd), pd, args, step, n.name);
  return Status::ok();
}

}  // namespace inr::onednn
