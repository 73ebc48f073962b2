// DequantizeLinear: y = (x - x_zero_point) * x_scale.
// ONNX spec: https://onnx.ai/onnx/operators/onnx__DequantizeLinear.html (opsets 10, 13, 19, 21).
// Supported: x u8/s8/s32 (10+), u16/s16/u4/s4 (21); per-tensor, per-axis (13+) and blocked (21) scales;
// output in the scale's dtype (f32; f16/bf16 from 19). Evaluated as float(x - zp) * scale in float32, as
// ONNX Runtime does, and rounded once to f16/bf16 for those outputs. Float8 inputs are out of scope.
#include "core/half.h"
#include "ops/op_schema.h"
#include "ops/quant_util.h"

namespace inr {

namespace {
Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  INR_ASSIGN_OR_RETURN(QParamLayout layout, qparam_layout(node, in[0].shape(), in[1].shape()));
  const Tensor& x = in[0];
  const Tensor& scale = in[1];
  const Tensor zp = in.size() > 2 ? in[2] : Tensor();
  Tensor& y = out[0];
  int64_t n = x.numel();
  if (layout.per_tensor && y.dtype() == DType::kF32 && is_q8(x.dtype())) {
    float s = scale.data<float>()[0];
    int32_t z = zp.defined() ? load_qint(zp, 0) : 0;
    float* ys = y.data<float>();
    if (x.dtype() == DType::kU8) {
      const uint8_t* xs = x.data<uint8_t>();
      for (int64_t i = 0; i < n; ++i) ys[i] = static_cast<float>(xs[i] - z) * s;
    } else {
      const int8_t* xs = x.data<int8_t>();
      for (int64_t i = 0; i < n; ++i) ys[i] = static_cast<float>(xs[i] - z) * s;
    }
    return Status::ok();
  }
  for (int64_t i = 0; i < n; ++i) {
    int64_t p = layout.index(i);
    int32_t z = zp.defined() ? load_qint(zp, p) : 0;
    float v = static_cast<float>(load_qint(x, i) - z) * load_scale(scale, p);
    switch (y.dtype()) {
      case DType::kF16: y.data<uint16_t>()[i] = f32_to_f16(v); break;
      case DType::kBF16: y.data<uint16_t>()[i] = f32_to_bf16(v); break;
      default: y.data<float>()[i] = v; break;
    }
  }
  return Status::ok();
}

Status infer(Node& node) {
  const Value* x = node.inputs[0];
  const Value* scale = node.inputs[1];
  const Value* zp = node.input(2);
  INR_TRY(expect_dtype(x, {DType::kU8, DType::kI8, DType::kI32, DType::kU16, DType::kI16, DType::kU4, DType::kI4},
                       "input x"));
  INR_TRY(expect_scale_dtype(scale, "x_scale"));
  if (zp) {
    INR_TRY(expect_zp_dtype(zp, x->dtype, "x_zero_point"));
    if (shape_numel(zp->shape) != shape_numel(scale->shape))
      return error("x_zero_point shape {} differs from x_scale shape {}", shape_str(zp->shape), shape_str(scale->shape));
  }
  INR_TRY(qparam_layout(node, x->shape, scale->shape).status());
  set_output(node, 0, scale->dtype, x->shape);
  return Status::ok();
}
}  // namespace

const OpSchema& schema_dequantize_linear() {
  static const OpSchema s{Op::kDequantizeLinear, 2, 3, 1, 1, infer, run};
  return s;
}

}  // namespace inr
