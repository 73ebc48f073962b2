// Gemm (transA = 0) and 2-D MatMul with a constant B as one oneDNN matmul. B is reordered once into the
// layout the kernel prefers; Gemm's alpha is folded into B and beta into the bias (C broadcast over rows),
// so the run is y = A * B' + bias with no per-run scaling.
#include <vector>

#include "backends/onednn/onednn_compiler.h"

namespace inr::onednn {

using dt = memory::data_type;
using tag = memory::format_tag;

Status lower_matmul(Compiler& c, Node& n, int step) {
  Value* a = n.inputs[0];
  Value* bw = n.inputs[1];
  Value* cb = n.op == Op::kGemm ? n.input(2) : nullptr;
  Value* y = n.outputs[0];
  bool trans_b = n.op == Op::kGemm && n.attr_int("transB", 0) != 0;
  float alpha = n.op == Op::kGemm ? n.attr_float("alpha", 1.f) : 1.f;
  float beta = n.op == Op::kGemm ? n.attr_float("beta", 1.f) : 1.f;
  int64_t k = a->shape[1];
  int64_t cols = trans_b ? bw->shape[0] : bw->shape[1];

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

  memory::desc src_md = plain_md(a->shape);
  memory::desc dst_md = plain_md(y->shape);
  memory::desc w_any({k, cols}, dt::f32, tag::any);
  auto d = bias.empty() ? dnnl::matmul::desc(src_md, w_any, dst_md) : dnnl::matmul::desc(src_md, w_any, bias_md, dst_md);
  dnnl::matmul::primitive_desc pd(d, Compiler::base_attr(), c.engine());
  Version src = c.as(a, src_md, step);
  Version wv = c.owned_constant(b_data, b_md, pd.weights_desc());
  Version dst = c.output(y, dst_md, step);
  std::vector<std::pair<int, Version>> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wv}, {DNNL_ARG_DST, dst}};
  if (!bias.empty()) args.emplace_back(DNNL_ARG_BIAS, c.owned_constant(bias.data(), bias_md, bias_md));
  c.add_primitive(dnnl::matmul(pd), pd, args, step, n.name);
  return Status::ok();
}

}  // namespace inr::onednn
