// Gemm (transA = 0) and MatMul with a constant 2-D B as one oneDNN matmul. B is reordered once into the
// layout the kernel prefers; Gemm's alpha is folded into B and beta into the bias (C broadcast over rows),
// so the run is y = A * B' + bias with no per-run scaling. An N-D A times a constant 2-D B (a transformer's
// linear layers) is the 2-D product of A viewed as [rows, K]. MatMul with a runtime B (attention's Q K^T
// and P V) or a batched constant B is a batched oneDNN matmul over plain operands whose batch dims
// broadcast (both padded with leading 1s to the output's rank).
#include <vector>

#include "backends/onednn/onednn_compiler.h"

namespace inr::onednn {

using dt = memory::data_type;
using tag = memory::format_tag;

namespace {

// `md` (a strided view) with `rank` dims: leading 1s prepended.
memory::desc padded_view(const memory::desc& md, size_t rank) {
  Dims d = md.dims();
  const auto& blk = md.data.format_desc.blocking;
  Dims strides(blk.strides, blk.strides + d.size());
  int64_t outer = static_cast<int64_t>(md.get_size() / sizeof(float));
  while (d.size() < rank) {
    d.insert(d.begin(), 1);
    strides.insert(strides.begin(), outer);
  }
  return memory::desc(d, md.data_type(), strides);
}

// A MatMul with a runtime (or batched) B. Operands that are strided views (attention's heads split by a
// Transpose the lowering left as a view) are read as they are, and when the output's only reader is a
// Transpose (P V back to [B, T, heads, d]) the output is written in the transposed order, so that Transpose
// is a view too; either falls back to plain operands where oneDNN has no fast kernel for the strides.
Status lower_batched_matmul(Compiler& c, Node& n, int step) {
  Value* a = n.inputs[0];
  Value* b = n.inputs[1];
  Value* y = n.outputs[0];
  size_t r = y->shape.size();
  Version av = c.current(a);
  if (!is_strided_view(av.md)) av = c.as(a, plain_md(a->shape), step);
  Version bv = b->is_constant() ? c.owned_constant(b->constant.data<float>(), plain_md(b->shape), plain_md(b->shape))
                                : c.current(b);
  if (!is_strided_view(bv.md)) bv = c.as(b, plain_md(b->shape), step);
  if (b->is_constant()) c.copied(b);
  memory::desc dst_md = plain_md(y->shape);
  std::vector<const Node*> readers = c.readers(y);
  if (!c.is_external(y) && readers.size() == 1 && readers[0]->op == Op::kTranspose)
    dst_md = transposed_md(y->shape, dt::f32, transpose_perm(*readers[0]));
  int64_t macs = shape_numel(y->shape) * a->shape.back();
  bool serial = macs < kSerialMatmulMacs;
  SerialScope scope(serial);
  auto make_pd = [&] {
    dnnl::matmul::desc d(padded_view(av.md, r), padded_view(bv.md, r), dst_md);
    return dnnl::matmul::primitive_desc(d, Compiler::base_attr(), c.engine());
  };
  dnnl::matmul::primitive_desc pd = make_pd();
  if (is_reference_impl(pd) && dst_md != plain_md(y->shape)) {
    dst_md = plain_md(y->shape);
    pd = make_pd();
  }
  if (is_reference_impl(pd) && (av.md != plain_md(a->shape) || bv.md != plain_md(b->shape))) {
    av = c.as(a, plain_md(a->shape), step);
    if (!b->is_constant()) bv = c.as(b, plain_md(b->shape), step);
    pd = make_pd();
  }
  Version src{padded_view(av.md, r), av.ref};
  Version wei{padded_view(bv.md, r), bv.ref};
  Version dst = c.output(y, dst_md, step);
  std::vector<std::pair<int, Version>> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}};
  c.add_primitive(dnnl::matmul(pd), pd, args, step, n.name);
  c.note_matmul(y, step, src.md, wei.md, memory::desc(), dst_md, args, serial);
  return Status::ok();
}
}  // namespace

Status lower_matmul(Compiler& c, Node& n, int step) {
  Value* a = n.inputs[0];
  if (n.op == Op::kMatMul && !(n.inputs[1]->is_constant() && n.inputs[1]->shape.size() == 2))
    return lower_batched_matmul(c, n, step);
  Value* bw = n.inputs[1];
  Value* cb = n.op == Op::kGemm ? n.input(2) : nullptr;
  Value* y = n.outputs[0];
  bool trans_b = n.op == Op::kGemm && n.attr_int("transB", 0) != 0;
  float alpha = n.op == Op::kGemm ? n.attr_float("alpha", 1.f) : 1.f;
  float beta = n.op == Op::kGemm ? n.attr_float("beta", 1.f) : 1.f;
  int64_t k = a->shape.back();
  int64_t cols = trans_b ? bw->shape[0] : bw->shape[1];
  int64_t rows = shape_numel(a->shape) / k;

  // B as a [K, N] descriptor over its stored order: [K, N] row-major, or [N, K] row-major (transB).
  memory::desc b_md({k, cols}, dt::f32, trans_b ? Dims{1, k} : Dims{cols, 1});
  const float* b_data = bw->constant.data<float>();
  std::vector<float> scaled;
  if (alpha != 1.f) {
    scaled.assign(b_data, b_data + k * cols);
    for (float& v : scaled) v *= alpha;
    b_data = scaled.data();
  }
  memory::desc bias_md;
  std::vector<float> bias;
  if (cb != nullptr && beta != 0.f) {
    const Tensor& t = cb->constant;
    bias.resize(static_cast<size_t>(cols));
    for (int64_t j = 0; j < cols; ++j) bias[static_cast<size_t>(j)] = beta * t.data<float>()[t.numel() == 1 ? 0 : j];
    bias_md = memory::desc({1, cols}, dt::f32, tag::ab);
  }

  bool serial = rows * k * cols < kSerialMatmulMacs;
  SerialScope scope(serial);
  memory::desc src_md = plain_md({rows, k});
  memory::desc dst_md = plain_md({rows, cols});
  memory::desc w_any({k, cols}, dt::f32, tag::any);
  auto d = bias.empty() ? dnnl::matmul::desc(src_md, w_any, dst_md) : dnnl::matmul::desc(src_md, w_any, bias_md, dst_md);
  dnnl::matmul::primitive_desc pd(d, Compiler::base_attr(), c.engine());
  Version src{src_md, c.as(a, plain_md(a->shape), step).ref};  // a [..., K] viewed as [rows, K]
  Version wv = c.owned_constant(b_data, b_md, pd.weights_desc());
  Version dst{dst_md, c.output(y, plain_md(y->shape), step).ref};
  std::vector<std::pair<int, Version>> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wv}, {DNNL_ARG_DST, dst}};
  if (!bias.empty()) args.emplace_back(DNNL_ARG_BIAS, c.owned_constant(bias.data(), bias_md, bias_md));
  c.copied(bw);
  if (cb) c.copied(cb);  // its values are in the owned bias (or unused when beta is 0)
  c.add_primitive(dnnl::matmul(pd), pd, args, step, n.name);
  c.note_matmul(y, step, src_md, pd.weights_desc(), bias_md, dst_md, args, serial);
  return Status::ok();
}

}  // namespace inr::onednn
