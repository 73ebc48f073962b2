// com.microsoft QGemm: Gemm of quantized A and B with an optional int32 C, output requantised (y_scale and
// y_zero_point given) or float. ONNX Runtime contrib op (docs/ContribOperators.md, "com.microsoft.QGemm";
// kernel contrib_ops/cpu/quantization/quant_gemm.cc). Inputs A, a_scale, a_zero_point, B, b_scale,
// b_zero_point, C (optional, int32, quantized with scale alpha * a_scale * b_scale and zero point 0,
// unidirectionally broadcast to [M, N]), y_scale (optional), y_zero_point (optional); attributes alpha,
// transA, transB. b_scale / b_zero_point per tensor or per column ([N]).
//
// Arithmetic as ORT: acc = C + sum (A' - a_zp)(B' - b_zp[j]) in int32; scale[j] = alpha * a_scale * b_scale[j]
// (float32, left to right), divided by y_scale when present; output saturate(round_half_even(float(acc) *
// scale[j]) + y_zp) when y_zero_point is present, else the float float(acc) * scale[j].
#include "ops/op_schema.h"
#include "ops/qgemm_kernel.h"
#include "ops/quant_util.h"

namespace inr {

namespace {
constexpr float kDefaultAlpha = 1.f;

IntMatMul dims(const Node& node, const Shape& a, const Shape& b) {
  IntMatMul d;
  d.a_trans = node.attr_int("transA", 0) != 0;
  d.b_trans = node.attr_int("transB", 0) != 0;
  d.m = d.a_trans ? a[1] : a[0];
  d.k = d.a_trans ? a[0] : a[1];
  d.n = d.b_trans ? b[0] : b[1];
  return d;
}

Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  IntMatMul d = dims(node, in[0].shape(), in[3].shape());
  QParams aq = read_qparams(in[1], in[2]);
  QParams bq = read_qparams(in[4], in[5]);
  const Tensor* c = in.size() > 6 && in[6].defined() ? &in[6] : nullptr;
  const Tensor* y_scale = in.size() > 7 && in[7].defined() ? &in[7] : nullptr;
  const Tensor* y_zp = in.size() > 8 && in[8].defined() ? &in[8] : nullptr;
  float alpha = node.attr_float("alpha", kDefaultAlpha);
  std::vector<int32_t> acc(static_cast<size_t>(d.m * d.n), 0);
  if (c) {
    std::vector<int64_t> cs = broadcast_strides(c->shape(), 2);
    for (int64_t i = 0; i < d.m; ++i)
      for (int64_t j = 0; j < d.n; ++j) acc[static_cast<size_t>(i * d.n + j)] = c->data<int32_t>()[i * cs[0] + j * cs[1]];
  }
  matmul_int32(d, in[0], 0, aq.zero_point, in[3], 0, bq.zero_point, acc.data(), true);
  std::vector<float> scales = qgemm_scales(alpha, aq.scale_at(0), in[4], y_scale);
  int32_t zp = y_zp ? load_qint(*y_zp, 0) : 0;
  qgemm_store(acc.data(), d.m, d.n, scales, y_zp ? &zp : nullptr, out[0].dtype(), out[0].raw());
  return Status::ok();
}

Status infer(Node& node) {
  const Value* a = node.inputs[0];
  const Value* b = node.inputs[3];
  INR_TRY(expect_dtype(a, {DType::kU8, DType::kI8}, "input A"));
  INR_TRY(expect_dtype(b, {DType::kU8, DType::kI8}, "input B"));
  INR_TRY(expect_rank(a, 2, "input A"));
  INR_TRY(expect_rank(b, 2, "input B"));
  for (size_t i : {1, 2, 4, 5})
    if (node.input(i) == nullptr) return error("input {} (a scale or zero point) is required", i);
  INR_TRY(expect_scale_dtype(node.inputs[1], "a_scale"));
  INR_TRY(expect_scale_dtype(node.inputs[4], "b_scale"));
  INR_TRY(expect_zp_dtype(node.inputs[2], a->dtype, "a_zero_point"));
  INR_TRY(expect_zp_dtype(node.inputs[5], b->dtype, "b_zero_point"));
  IntMatMul d = dims(node, a->shape, b->shape);
  int64_t kb = d.b_trans ? b->shape[1] : b->shape[0];
  if (kb != d.k) return error("inner dims differ: A' has K={}, B' has K={}", d.k, kb);
  INR_TRY(expect_qparam_shape(node.inputs[1], 0, "a_scale"));
  INR_TRY(expect_qparam_shape(node.inputs[2], 0, "a_zero_point"));
  INR_TRY(expect_qparam_shape(node.inputs[4], d.n, "b_scale"));
  INR_TRY(expect_qparam_shape(node.inputs[5], d.n, "b_zero_point"));
  if (const Value* c = node.input(6)) {
    INR_TRY(expect_dtype(c, {DType::kI32}, "input C"));
    if (c->shape.size() > 2) return error("C rank {}, expected <= 2", c->shape.size());
    Shape full{d.m, d.n};
    for (size_t k = 0; k < c->shape.size(); ++k) {
      int64_t dc = c->shape[c->shape.size() - 1 - k];
      if (dc != 1 && dc != full[1 - k]) return error("C shape {} does not broadcast to [{},{}]", shape_str(c->shape), d.m, d.n);
    }
  }
  const Value* ys = node.input(7);
  const Value* yz = node.input(8);
  if (ys) {
    INR_TRY(expect_scale_dtype(ys, "y_scale"));
    INR_TRY(expect_qparam_shape(ys, 0, "y_scale"));
  }
  DType out = DType::kF32;
  if (yz) {
    if (!ys) return error("y_zero_point given without y_scale");
    INR_TRY(expect_dtype(yz, {DType::kU8, DType::kI8}, "y_zero_point"));
    INR_TRY(expect_qparam_shape(yz, 0, "y_zero_point"));
    out = yz->dtype;
  }
  set_output(node, 0, out, {d.m, d.n});
  return Status::ok();
}
}  // namespace

const OpSchema& schema_q_gemm() {
  static const OpSchema s{Op::kQGemm, 6, 9, 1, 1, infer, run};
  return s;
}

}  // namespace inr
