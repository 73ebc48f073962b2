// Conv and FusedConv as one oneDNN convolution: bias in the primitive, the residual Z as a `sum` post-op
// (dst pre-filled with Z, or Z's own buffer computed in place), the activation as eltwise post-ops:
// y = act(conv(x, W) + B + Z).
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "backends/onednn/onednn_compiler.h"

namespace inr::onednn {

using dt = memory::data_type;
using tag = memory::format_tag;

Status append_activation(dnnl::post_ops& ops, const std::string& activation, const std::vector<float>& params) {
  auto param = [&](size_t i, float def) { return i < params.size() ? params[i] : def; };
  using alg = dnnl::algorithm;
  if (activation.empty()) return Status::ok();
  if (activation == "Relu") {
    ops.append_eltwise(1.f, alg::eltwise_relu, 0.f, 0.f);
  } else if (activation == "LeakyRelu") {
    ops.append_eltwise(1.f, alg::eltwise_relu, param(0, 0.01f), 0.f);
  } else if (activation == "Clip") {
    ops.append_eltwise(1.f, alg::eltwise_clip, param(0, std::numeric_limits<float>::lowest()),
                       param(1, std::numeric_limits<float>::max()));
  } else if (activation == "Sigmoid") {
    ops.append_eltwise(1.f, alg::eltwise_logistic, 0.f, 0.f);
  } else if (activation == "HardSigmoid") {
    // oneDNN 2.6 has no hardsigmoid: max(0, min(1, alpha*x + beta)) = clip(linear(x), 0, 1).
    ops.append_eltwise(1.f, alg::eltwise_linear, param(0, 0.2f), param(1, 0.5f));
    ops.append_eltwise(1.f, alg::eltwise_clip, 0.f, 1.f);
  } else if (activation == "HardSwish") {
    // ONNX HardSwish is x * max(0, min(1, x/6 + 1/2)), exactly oneDNN's hardswish.
    ops.append_eltwise(1.f, alg::eltwise_hardswish, 0.f, 0.f);
  } else {
    return error("activation '{}' has no oneDNN post-op", activation);
  }
  return Status::ok();
}

Status lower_conv(Compiler& c, Node& n, int step) {
  Value* x = n.inputs[0];
  Value* w = n.inputs[1];
  Value* b = n.input(2);
  Value* z = n.op == Op::kFusedConv ? n.input(3) : nullptr;
  Value* y = n.outputs[0];
  const Shape& ws = w->shape;  // [O, C/group, kh, kw]
  INR_ASSIGN_OR_RETURN(WindowGeometry g, window_geometry(n, x->shape, {ws[2], ws[3]}, false));
  int64_t group = n.attr_int("group", 1);

  Dims w_dims = group == 1 ? Dims{ws[0], ws[1], ws[2], ws[3]} : Dims{group, ws[0] / group, ws[1], ws[2], ws[3]};
  memory::desc w_plain(w_dims, dt::f32, group == 1 ? tag::oihw : tag::goihw);
  memory::desc bias_md = b ? memory::desc({ws[0]}, dt::f32, tag::x) : memory::desc();
  Dims strides(g.stride.begin(), g.stride.end());
  Dims dilates{g.dilation[0] - 1, g.dilation[1] - 1};  // oneDNN counts the gaps, ONNX the step
  Dims pad_l(g.pad_begin.begin(), g.pad_begin.end());
  Dims pad_r(g.pad_end.begin(), g.pad_end.end());

  dnnl::post_ops ops;
  if (z) ops.append_sum(1.f);
  INR_TRY(append_activation(ops, n.attr_string("activation", ""), n.attr_floats("activation_params")));
  dnnl::primitive_attr attr = Compiler::base_attr();
  attr.set_post_ops(ops);

  auto any = [](const Shape& s) { return memory::desc(to_dims(s), dt::f32, tag::any); };
  memory::desc w_any(w_dims, dt::f32, tag::any);
  auto make_pd = [&](dnnl::algorithm alg, const memory::desc& src, const memory::desc& dst) {
    using fwd = dnnl::convolution_forward;
    auto d = b ? fwd::desc(dnnl::prop_kind::forward_inference, alg, src, w_any, bias_md, dst, strides, dilates,
                           pad_l, pad_r)
               : fwd::desc(dnnl::prop_kind::forward_inference, alg, src, w_any, dst, strides, dilates, pad_l, pad_r);
    return fwd::primitive_desc(d, attr, c.engine());
  };
  Version xv = c.current(x);
  std::optional<dnnl::convolution_forward::primitive_desc> chosen;
  {
    // nChw16c throughout, Winograd for 3x3 stride-1 convolutions. Measured on ResNet50 (2 threads, AVX-512):
    // Winograd takes 3x3 s1 layers from ~0.50 to ~0.32 ms, while letting oneDNN choose (`any`) picks brgconv
    // in nhwc, which Winograd cannot read; the jit nChw16c kernels match brgconv on 1x1 layers, so one blocked
    // layout everywhere avoids reorders and wins ~8% overall. Winograd F(2x2,3x3)/F(4x4,3x3) stays within
    // the fp32 parity tolerance (tests/models: ResNet50 logits vs ONNX Runtime).
    int64_t cin = x->shape[1], cout = y->shape[1];
    memory::desc src16 = cin % 16 == 0 ? memory::desc(to_dims(x->shape), dt::f32, tag::nChw16c) : any(x->shape);
    memory::desc dst16 = cout % 16 == 0 ? memory::desc(to_dims(y->shape), dt::f32, tag::nChw16c) : any(y->shape);
    // Not with compact weights (SessionOptions::compact_weights): Winograd's weights are larger.
    bool wino = !c.request().compact_weights && ws[2] == 3 && ws[3] == 3 && g.stride[0] == 1 && g.stride[1] == 1 && g.dilation[0] == 1 &&
                g.dilation[1] == 1 && group == 1 && cin % 16 == 0 && cout % 16 == 0;
    if (wino) {
      try {
        chosen = make_pd(dnnl::algorithm::convolution_winograd, src16, dst16);
      } catch (const dnnl::error&) {
      }
    }
    if (!chosen) {
      try {
        auto pd = make_pd(dnnl::algorithm::convolution_direct, src16, dst16);
        if (!is_reference_impl(pd)) chosen = pd;
      } catch (const dnnl::error&) {
      }
    }
  }
  if (!chosen) {
    chosen = make_pd(dnnl::algorithm::convolution_direct, any(x->shape), any(y->shape));
    // Keep the producer's blocked layout when the convolution has a fast kernel for it (no reorder).
    if (chosen->src_desc() != xv.md && xv.md != plain_md(x->shape)) {
      try {
        auto fixed = make_pd(dnnl::algorithm::convolution_direct, xv.md, any(y->shape));
        if (!is_reference_impl(fixed)) chosen = fixed;
      } catch (const dnnl::error&) {
        // No implementation for the producer's layout: reorder below.
      }
    }
  }
  dnnl::convolution_forward::primitive_desc pd = *chosen;
  Version src = c.as(x, pd.src_desc(), step);
  Version wv = c.owned_constant(w->constant.data<float>(), w_plain, pd.weights_desc());
  Version bv;
  if (b) bv = c.owned_constant(b->constant.data<float>(), bias_md, pd.bias_desc());
  c.copied(w);
  c.copied(b);

  memory::desc dst_md = pd.dst_desc();
  Version dst;
  if (z) {
    Version zv = c.current(z);
    bool dst_is_slot = c.is_external(y) && dst_md == plain_md(y->shape);
    if (zv.md == dst_md && !dst_is_slot && c.can_overwrite(zv, step, {src})) {
      dst = c.alias_output(y, zv, step);  // the residual's buffer becomes the output: no copy
    } else {
      dst = c.output(y, dst_md, step);
      c.add_reorder(zv, dst, step, fmt::format("residual {} into dst ({} <- {})", z->name, md_name(dst_md),
                                               md_name(zv.md)));
    }
  } else {
    dst = c.output(y, dst_md, step);
  }
  std::vector<std::pair<int, Version>> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wv}, {DNNL_ARG_DST, dst}};
  if (b) args.emplace_back(DNNL_ARG_BIAS, bv);
  c.add_primitive(dnnl::convolution_forward(pd), pd, args, step, n.name);
  return Status::ok();
}

}  // namespace inr::onednn
