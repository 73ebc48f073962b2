// com.microsoft QLinearGlobalAveragePool: the mean over the spatial dims of a quantized tensor.
// ONNX Runtime contrib op (docs/ContribOperators.md, "com.microsoft.QLinearGlobalAveragePool"): inputs X,
// x_scale, x_zero_point, y_scale, y_zero_point (per tensor, u8 or s8); attribute channels_last (0: X is
// [N, C, spatial...], output [N, C, 1...]; 1: X is [N, spatial..., C], output [N, 1..., C]).
// Arithmetic as MLAS (qlgavgpool.cpp), in ops/qgap_kernel.h (shared with the oneDNN backend).
#include "ops/op_schema.h"
#include "ops/qgap_kernel.h"
#include "ops/quant_util.h"

namespace inr {

namespace {
Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const Tensor& x = in[0];
  bool channels_last = node.attr_int("channels_last", 0) != 0;
  int64_t batch = x.dim(0);
  int64_t channels = channels_last ? x.dim(-1) : x.dim(1);
  int64_t spatial = x.numel() / (batch * channels);
  QGapParams p = qgap_params(load_scale(in[1], 0), load_qint(in[2], 0), load_scale(in[3], 0), load_qint(in[4], 0),
                             spatial, out[0].dtype());
  qgap(x.dtype(), x.raw(), out[0].raw(), batch, channels, spatial, channels_last, p);
  return Status::ok();
}

Status infer(Node& node) {
  const Value* x = node.inputs[0];
  INR_TRY(expect_dtype(x, {DType::kU8, DType::kI8}, "input X"));
  if (x->shape.size() < 3) return error("input X rank {}, expected >= 3", x->shape.size());
  INR_TRY(expect_scale_dtype(node.inputs[1], "x_scale"));
  INR_TRY(expect_scale_dtype(node.inputs[3], "y_scale"));
  INR_TRY(expect_zp_dtype(node.inputs[2], x->dtype, "x_zero_point"));
  INR_TRY(expect_zp_dtype(node.inputs[4], x->dtype, "y_zero_point"));
  for (size_t i = 1; i < 5; ++i) INR_TRY(expect_qparam_shape(node.inputs[i], 0, "scale / zero point"));
  bool channels_last = node.attr_int("channels_last", 0) != 0;
  Shape out(x->shape.size(), 1);
  out[0] = x->shape[0];
  if (channels_last) {
    out.back() = x->shape.back();
  } else {
    out[1] = x->shape[1];
  }
  set_output(node, 0, x->dtype, std::move(out));
  return Status::ok();
}
}  // namespace

const OpSchema& schema_q_linear_global_average_pool() {
  static const OpSchema s{Op::kQLinearGlobalAveragePool, 5, 5, 1, 1, infer, run};
  return s;
}

}  // namespace inr
