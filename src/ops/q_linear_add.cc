// com.microsoft QLinearAdd: C = quantize(dequantize(A) + dequantize(B)), numpy broadcasting.
// ONNX Runtime contrib op (docs/ContribOperators.md, "com.microsoft.QLinearAdd"): inputs A, A_scale,
// A_zero_point (optional), B, B_scale, B_zero_point (optional), C_scale, C_zero_point (optional); all per
// tensor; A, B, C u8 or s8 (one type).
//
// Arithmetic: ONNX Runtime's x86 kernel, which is what QOperator models were made with and what ORT's QDQ
// fusion turns DQ -> Add -> Q into; ops/qadd_kernel.h has the formula. Broadcasting follows ORT's loop: the
// kernel gets contiguous spans of the innermost output axes, and an operand that is one element over such a
// span (its innermost non-trivial axis has size 1) is folded into the constant.
#include "ops/op_schema.h"
#include "ops/qadd_kernel.h"
#include "ops/quant_util.h"

namespace inr {

namespace {

// Whether `x` is one element over the innermost spans the broadcast loop hands the kernel.
bool scalar_over_span(const Shape& out, const Shape& x) {
  if (shape_numel(x) == 1) return true;
  for (size_t k = out.size(); k-- > 0;) {
    if (out[k] == 1) continue;
    size_t from_end = out.size() - k;
    return from_end > x.size() || x[x.size() - from_end] == 1;
  }
  return true;
}

Status run(const Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  const Tensor& a = in[0];
  const Tensor& b = in[3];
  int32_t za = in[2].defined() ? load_qint(in[2], 0) : 0;
  int32_t zb = in[5].defined() ? load_qint(in[5], 0) : 0;
  int32_t zc = in.size() > 7 && in[7].defined() ? load_qint(in[7], 0) : 0;
  Tensor& c = out[0];
  QAddParams p = qadd_params(load_scale(in[1], 0), za, load_scale(in[4], 0), zb, load_scale(in[6], 0), zc, c.dtype());
  bool a_scalar = scalar_over_span(c.shape(), a.shape());
  bool b_scalar = scalar_over_span(c.shape(), b.shape());
  bool a_full = a.shape() == c.shape(), b_full = b.shape() == c.shape();
  if ((a_full || shape_numel(a.shape()) == 1) && (b_full || shape_numel(b.shape()) == 1)) {
    qadd_span(c.dtype(), a.raw(), a_scalar, b.raw(), b_scalar, c.raw(), c.numel(), p);
    return Status::ok();
  }
  for_each_broadcast(c.shape(), a.shape(), b.shape(), [&](int64_t i, int64_t ia, int64_t ib) {
    store_qint(c, i, qadd_value(load_qint(a, ia), load_qint(b, ib), a_scalar, p));
  });
  return Status::ok();
}

}  // namespace

const OpSchema& schema_q_linear_add() {
  static const OpSchema s{Op::kQLinearAdd, 7, 8, 1, 1, infer_qlinear_binary, run};
  return s;
}

}  // namespace inr
