// com.microsoft QLinearMul: C = quantize(dequantize(A) * dequantize(B)), numpy broadcasting.
// ONNX Runtime contrib op (docs/ContribOperators.md, "com.microsoft.QLinearMul"): inputs A, A_scale,
// A_zero_point (optional), B, B_scale, B_zero_point (optional), C_scale, C_zero_point (optional); per tensor;
// u8 or s8. Arithmetic as MLAS's x86 kernel (qlmul.cpp, SSE2): the integer product (A - A_zp)(B - B_zp)
// times the float32 ratio A_scale * B_scale / C_scale (left to right), plus float(C_zp), rounded half to
// even, saturated. C_zp is added before the rounding, so it decides which way an exact tie goes (checked
// against onnxruntime-node 1.30: ratio 0.25 and C_zp 11 give 12 for a product of 2).
#include "ops/op_schema.h"
#include "ops/quant_util.h"

namespace inr {

namespace {
Status run(const Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  const Tensor& a = in[0];
  const Tensor& b = in[3];
  float ratio = load_scale(in[1], 0) * load_scale(in[4], 0) / load_scale(in[6], 0);
  int32_t za = in[2].defined() ? load_qint(in[2], 0) : 0;
  int32_t zb = in[5].defined() ? load_qint(in[5], 0) : 0;
  int32_t zc = in.size() > 7 && in[7].defined() ? load_qint(in[7], 0) : 0;
  Tensor& c = out[0];
  QRange r = qrange(c.dtype());
  for_each_broadcast(c.shape(), a.shape(), b.shape(), [&](int64_t i, int64_t ia, int64_t ib) {
    int32_t prod = (load_qint(a, ia) - za) * (load_qint(b, ib) - zb);
    float v = static_cast<float>(prod) * ratio;
    v += static_cast<float>(zc);  // a separate add (inr builds with -ffp-contract=off)
    store_qint(c, i, quantize_value(v, 0, r));
  });
  return Status::ok();
}

}  // namespace

const OpSchema& schema_q_linear_mul() {
  static const OpSchema s{Op::kQLinearMul, 7, 8, 1, 1, infer_qlinear_binary, run};
  return s;
}

}  // namespace inr
