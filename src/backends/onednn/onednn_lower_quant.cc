// Per-tensor QuantizeLinear and DequantizeLinear in the producer's layout, so a QDQ network (int8
// convolutions with float residual Adds between DequantizeLinear and QuantizeLinear) stays in one oneDNN
// partition in nhwc instead of reordering every int8 tensor to plain and back at each partition boundary.
//
// Exactness against the reference (src/ops/quantize_linear.cc, dequantize_linear.cc):
//  - DequantizeLinear y = float(x - x_zp) * scale: a reorder u8/s8 -> f32 with the source zero point and the
//    output scale; oneDNN subtracts the zero point from the converted integer (exact) and multiplies once.
//  - QuantizeLinear y = saturate(round_half_even(x / scale) + zp): a binary_div by the scale (a float32
//    division, like the reference; x * (1 / scale) would differ in the last bit), then post-ops round half to
//    even and + zp (exact on integers), and the u8/s8 destination saturates integers only.
// tests/unit/onednn_int8_test.cc checks both bit for bit.
#include <vector>

#include "backends/onednn/onednn_compiler.h"
#include "backends/onednn/onednn_int8.h"
#include "ops/quant_util.h"

namespace inr::onednn {

using dt = memory::data_type;

namespace {

// `md` with another element type (same dims and layout).
memory::desc with_type(const memory::desc& md, dt type) {
  dnnl_memory_desc_t d = md.data;
  d.data_type = static_cast<dnnl_data_type_t>(type);
  return memory::desc(d);
}

}  // namespace

Status quant_linear_support(const Node& n) {
  if (n.inputs.size() < 2 || n.inputs.size() > 3 || n.outputs.size() != 1 || n.outputs[0] == nullptr)
    return error("{} inputs and {} outputs", n.inputs.size(), n.outputs.size());
  const Value* x = n.inputs[0];
  const Value* scale = n.inputs[1];
  const Value* zp = n.input(2);
  const Value* y = n.outputs[0];
  if (!x || x->is_constant() || !x->shape_known() || !y->shape_known()) return error("x is absent, constant or without shape");
  if (x->shape.empty() || x->shape.size() > 6 || shape_numel(x->shape) == 0)
    return error("x {} is not a non-empty tensor of rank 1..6", shape_str(x->shape));
  if (!is_const_scalar(scale) || scale->constant.dtype() != DType::kF32) return error("scale is not a constant f32 scalar (per-axis scales are not lowered)");
  if (!absent_or_const_scalar(zp)) return error("zero point is not a constant scalar");
  if (n.attr_int("block_size", 0) != 0) return error("blocked quantization");
  const bool types = n.op == Op::kQuantizeLinear ? x->dtype == DType::kF32 && is_q8(y->dtype)
                                                 : is_q8(x->dtype) && y->dtype == DType::kF32;
  if (!types) return error("{} -> {} is not f32 <-> u8/s8", dtype_name(x->dtype), dtype_name(y->dtype));
  return Status::ok();
}

Status lower_quantize_linear(Compiler& c, Node& n, int step) {
  Value* x = n.inputs[0];
  Value* y = n.outputs[0];
  float scale = n.inputs[1]->constant.data<float>()[0];
  int32_t zp = n.input(2) ? load_qint(n.input(2)->constant, 0) : 0;
  Version src = c.current(x);
  Version dst = c.output(y, with_type(src.md, dnnl_type(y->dtype)), step);
  Shape ones(x->shape.size(), 1);
  memory::desc scale_md = plain_md(ones);
  Version sv = c.owned_constant(&scale, scale_md, scale_md);
  dnnl::post_ops ops;
  ops.append_eltwise(1.f, dnnl::algorithm::eltwise_round, 0.f, 0.f);
  if (zp != 0) ops.append_eltwise(1.f, dnnl::algorithm::eltwise_linear, 1.f, static_cast<float>(zp));
  dnnl::primitive_attr attr = Compiler::base_attr();
  attr.set_post_ops(ops);
  dnnl::binary::desc d(dnnl::algorithm::binary_div, src.md, scale_md, dst.md);
  dnnl::binary::primitive_desc pd(d, attr, c.engine());
  c.add_primitive(dnnl::binary(pd), pd, {{DNNL_ARG_SRC_0, src}, {DNNL_ARG_SRC_1, sv}, {DNNL_ARG_DST, dst}}, step,
                  n.name);
  return Status::ok();
}

Status lower_dequantize_linear(Compiler& c, Node& n, int step) {
  Value* x = n.inputs[0];
  Value* y = n.outputs[0];
  float scale = n.inputs[1]->constant.data<float>()[0];
  int32_t zp = n.input(2) ? load_qint(n.input(2)->constant, 0) : 0;
  Version src = c.current(x);
  Version dst = c.output(y, with_type(src.md, dt::f32), step);
  dnnl::primitive_attr attr = Compiler::base_attr();
  attr.set_output_scales(0, {scale});
  if (zp != 0) attr.set_zero_points(DNNL_ARG_SRC, 0, {zp});
  dnnl::reorder::primitive_desc pd(c.engine(), src.md, c.engine(), dst.md, attr);
  c.add_primitive(dnnl::reorder(pd), pd, {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}}, step, n.name);
  return Status::ok();
}

}  // namespace inr::onednn
