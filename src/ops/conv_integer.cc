// ConvInteger: y = conv(x - x_zero_point, w - w_zero_point) in int32.
// ONNX spec: https://onnx.ai/onnx/operators/onnx__ConvInteger.html (opset 10). x, w u8/s8; x_zero_point a
// scalar; w_zero_point a scalar or one per output channel (as ONNX Runtime accepts). Padding contributes 0,
// i.e. the padded value is x_zero_point (the ONNX reference pads x - x_zero_point with zeros). Geometry
// attributes as Conv (conv_kernel.h); the integer kernel is shared with QLinearConv (quant_util.h).
#include "ops/op_schema.h"
#include "ops/quant_util.h"

namespace inr {

namespace {
Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const Tensor& x = in[0];
  const Tensor& w = in[1];
  INR_ASSIGN_OR_RETURN(ConvShape s, conv_shape(node, x.shape(), w.shape(), nullptr));
  std::vector<int32_t> x_zp = read_zero_points(in.size() > 2 ? in[2] : Tensor());
  std::vector<int32_t> w_zp = read_zero_points(in.size() > 3 ? in[3] : Tensor());
  conv_int32(s, x, x_zp[0], w, w_zp, nullptr, out[0].data<int32_t>());
  return Status::ok();
}

Status infer(Node& node) {
  const Value* x = node.inputs[0];
  const Value* w = node.inputs[1];
  INR_TRY(expect_dtype(x, {DType::kU8, DType::kI8}, "input x"));
  INR_TRY(expect_dtype(w, {DType::kU8, DType::kI8}, "weight w"));
  INR_TRY(expect_zp_dtype(node.input(2), x->dtype, "x_zero_point"));
  INR_TRY(expect_zp_dtype(node.input(3), w->dtype, "w_zero_point"));
  INR_ASSIGN_OR_RETURN(ConvShape s, conv_shape(node, x->shape, w->shape, nullptr));
  INR_TRY(expect_qparam_shape(node.input(2), 0, "x_zero_point"));
  INR_TRY(expect_qparam_shape(node.input(3), s.out_channels, "w_zero_point"));
  Shape out{s.batch, s.out_channels};
  out.insert(out.end(), s.geometry.out.begin(), s.geometry.out.end());
  set_output(node, 0, DType::kI32, std::move(out));
  return Status::ok();
}
}  // namespace

const OpSchema& schema_conv_integer() {
  static const OpSchema s{Op::kConvInteger, 2, 4, 1, 1, infer, run};
  return s;
}

}  // namespace inr
