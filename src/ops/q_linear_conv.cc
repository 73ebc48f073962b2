// QLinearConv: convolution of quantized tensors with a requantised output.
// ONNX spec: https://onnx.ai/onnx/operators/onnx__QLinearConv.html (opset 10). Inputs x, x_scale,
// x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, optional int32 bias B (quantized with scale
// x_scale * w_scale, zero point 0). x and w are u8 or s8 independently; w_scale / w_zero_point are per
// tensor or per output channel; geometry attributes as Conv (shared with it through conv_kernel.h).
//
// Arithmetic (bit-exact with ONNX Runtime's CPU kernel): acc = B[m] + sum (x - x_zp) * (w - w_zp[m]) in
// int32; y = saturate(round_half_even(float(acc) * scale[m]) + y_zp) with
// scale[m] = x_scale * w_scale[m] / y_scale evaluated in float32 left to right (ORT qlinearconv.cc).
#include "ops/op_schema.h"
#include "ops/quant_util.h"

namespace inr {

namespace {
Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const Tensor& x = in[0];
  const Tensor& w = in[3];
  const Tensor* b = in.size() > 8 && in[8].defined() ? &in[8] : nullptr;
  INR_ASSIGN_OR_RETURN(ConvShape s, conv_shape(node, x.shape(), w.shape(), b ? &b->shape() : nullptr));
  QParams xq = read_qparams(in[1], in[2]);
  QParams wq = read_qparams(in[4], in[5]);
  QParams yq = read_qparams(in[6], in[7]);
  Tensor& y = out[0];
  int64_t out_size = shape_numel(y.shape()) / (s.batch * s.out_channels);
  std::vector<int32_t> acc(static_cast<size_t>(y.numel()));
  conv_int32(s, x, xq.zp_at(0), w, wq.zero_point, b ? b->data<int32_t>() : nullptr, acc.data());
  QRange r = qrange(y.dtype());
  float x_scale = xq.scale_at(0), y_scale = yq.scale_at(0);
  int32_t y_zp = yq.zp_at(0);
  for (int64_t m = 0; m < s.out_channels; ++m) {
    float scale = x_scale * wq.scale_at(m) / y_scale;
    for (int64_t n = 0; n < s.batch; ++n) {
      int64_t off = (n * s.out_channels + m) * out_size;
      requantize_row(acc.data() + off, out_size, scale, y_zp, r, y.dtype(), y.raw(), off);
    }
  }
  return Status::ok();
}

Status infer(Node& node) {
  const Value* x = node.inputs[0];
  const Value* w = node.inputs[3];
  const Value* b = node.input(8);
  INR_TRY(expect_dtype(x, {DType::kU8, DType::kI8}, "input x"));
  INR_TRY(expect_dtype(w, {DType::kU8, DType::kI8}, "weight w"));
  for (size_t i : {1, 4, 6}) INR_TRY(expect_scale_dtype(node.inputs[i], "scale"));
  for (size_t i : {1, 2, 4, 5, 6, 7})
    if (node.input(i) == nullptr) return error("input {} (a scale or zero point) is required", i);
  INR_TRY(expect_zp_dtype(node.inputs[2], x->dtype, "x_zero_point"));
  INR_TRY(expect_zp_dtype(node.inputs[5], w->dtype, "w_zero_point"));
  INR_TRY(expect_dtype(node.inputs[7], {DType::kU8, DType::kI8}, "y_zero_point"));
  if (b) INR_TRY(expect_dtype(b, {DType::kI32}, "bias B"));
  INR_ASSIGN_OR_RETURN(ConvShape s, conv_shape(node, x->shape, w->shape, b ? &b->shape : nullptr));
  INR_TRY(expect_qparam_shape(node.inputs[1], 0, "x_scale"));
  INR_TRY(expect_qparam_shape(node.inputs[2], 0, "x_zero_point"));
  INR_TRY(expect_qparam_shape(node.inputs[4], s.out_channels, "w_scale"));
  INR_TRY(expect_qparam_shape(node.inputs[5], s.out_channels, "w_zero_point"));
  INR_TRY(expect_qparam_shape(node.inputs[6], 0, "y_scale"));
  INR_TRY(expect_qparam_shape(node.inputs[7], 0, "y_zero_point"));
  Shape out{s.batch, s.out_channels};
  out.insert(out.end(), s.geometry.out.begin(), s.geometry.out.end());
  set_output(node, 0, node.inputs[7]->dtype, std::move(out));
  return Status::ok();
}
}  // namespace

const OpSchema& schema_q_linear_conv() {
  static const OpSchema s{Op::kQLinearConv, 8, 9, 1, 1, infer, run};
  return s;
}

}  // namespace inr
