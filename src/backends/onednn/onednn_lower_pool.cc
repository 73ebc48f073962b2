// MaxPool / AveragePool / GlobalAveragePool / GlobalMaxPool as oneDNN pooling in the producer's layout.
//
// ceil_mode: oneDNN sizes outputs with floor((in + pad_l + pad_r - span) / stride) + 1, so the extra
// window ceil_mode adds is expressed by enlarging the right padding to exactly cover it (what ONNX Runtime
// does). Max ignores padding and exclude-padding averages divide by the in-bounds count, so both stay
// exact; an include-padding average would count the enlarged padding and is refused.
#include "backends/onednn/onednn_compiler.h"

namespace inr::onednn {

Result<PoolPlan> pool_plan(const Node& n) {
  const Value* x = n.inputs[0];
  if (!x->has_shape || x->shape.size() != 4) return error("pooling needs a 4-D input");
  PoolPlan p;
  if (n.op == Op::kGlobalAveragePool || n.op == Op::kGlobalMaxPool) {
    p.alg = n.op == Op::kGlobalMaxPool ? dnnl::algorithm::pooling_max : dnnl::algorithm::pooling_avg_exclude_padding;
    p.kernel = {x->shape[2], x->shape[3]};
    p.strides = {1, 1};
    p.dilation = {0, 0};
    p.pad_l = {0, 0};
    p.pad_r = {0, 0};
    INR_TRY(window_fits_onednn_int(p.kernel, {1, 1}, p.kernel, p.strides, {1, 1}, p.pad_l, p.pad_r));
    return p;
  }
  std::vector<int64_t> kernel = n.attr_ints("kernel_shape");
  if (kernel.size() != 2) return error("pooling needs a 2-D kernel_shape");
  bool ceil_mode = n.attr_int("ceil_mode", 0) != 0;
  INR_ASSIGN_OR_RETURN(WindowGeometry g, window_geometry(n, x->shape, kernel, ceil_mode));
  bool include_pad = n.attr_int("count_include_pad", 0) != 0;
  if (n.op == Op::kMaxPool) {
    if (n.outputs.size() > 1 && n.outputs[1] != nullptr) return error("MaxPool Indices output");
    p.alg = dnnl::algorithm::pooling_max;
  } else {
    for (int64_t d : g.dilation)
      if (d != 1) return error("dilated AveragePool");
    p.alg = include_pad ? dnnl::algorithm::pooling_avg_include_padding : dnnl::algorithm::pooling_avg_exclude_padding;
  }
  for (size_t i = 0; i < 2; ++i) {
    int64_t span = (g.kernel[i] - 1) * g.dilation[i] + 1;
    int64_t pad_r = g.pad_end[i];
    if ((g.in[i] + g.pad_begin[i] + pad_r - span) / g.stride[i] + 1 != g.out[i]) {
      pad_r = (g.out[i] - 1) * g.stride[i] + span - g.in[i] - g.pad_begin[i];
      if (include_pad && p.alg != dnnl::algorithm::pooling_max) return error("ceil_mode with count_include_pad");
    }
    if (g.pad_begin[i] >= span || pad_r >= span || pad_r < 0) return error("padding as large as the window");
    p.kernel.push_back(g.kernel[i]);
    p.strides.push_back(g.stride[i]);
    p.dilation.push_back(g.dilation[i] - 1);
    p.pad_l.push_back(g.pad_begin[i]);
    p.pad_r.push_back(pad_r);
  }
  INR_TRY(window_fits_onednn_int(g.in, g.out, g.kernel, g.stride, g.dilation, g.pad_begin, p.pad_r));
  return p;
}

Status lower_pool(Compiler& c, Node& n, int step) {
  Value* x = n.inputs[0];
  Value* y = n.outputs[0];
  INR_ASSIGN_OR_RETURN(PoolPlan p, pool_plan(n));
  Version src = c.current(x);
  memory::desc dst_any(to_dims(y->shape), dnnl_type(y->dtype), memory::format_tag::any);
  bool dilated = p.dilation[0] != 0 || p.dilation[1] != 0;
  dnnl::primitive prim;
  dnnl::primitive_desc_base pd;
  memory::desc dst_md;
  if (dilated) {
    dnnl::pooling_v2_forward::desc d(dnnl::prop_kind::forward_inference, p.alg, src.md, dst_any, p.strides, p.kernel,
                                     p.dilation, p.pad_l, p.pad_r);
    dnnl::pooling_v2_forward::primitive_desc ppd(d, Compiler::base_attr(), c.engine());
    prim = dnnl::pooling_v2_forward(ppd);
    dst_md = ppd.dst_desc();
    pd = ppd;
  } else {
    dnnl::pooling_forward::desc d(dnnl::prop_kind::forward_inference, p.alg, src.md, dst_any, p.strides, p.kernel,
                                  p.pad_l, p.pad_r);
    dnnl::pooling_forward::primitive_desc ppd(d, Compiler::base_attr(), c.engine());
    prim = dnnl::pooling_forward(ppd);
    dst_md = ppd.dst_desc();
    pd = ppd;
  }
  Version dst = c.output(y, dst_md, step);
  c.add_primitive(prim, pd, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}}, step, n.name);
  return Status::ok();
}

}  // namespace inr::onednn
