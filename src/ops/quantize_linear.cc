// QuantizeLinear: y = saturate(round_half_even(x / y_scale) + y_zero_point).
// ONNX spec: https://onnx.ai/onnx/operators/onnx__QuantizeLinear.html (opsets 10, 13, 19, 21).
// Supported: x f32/f16/bf16 (and i32 as ONNX Runtime accepts); per-tensor, per-axis (13+, `axis`) and
// blocked (21, `block_size`) scales; outputs u8/s8 (10+), u16/s16 and the packed u4/s4 (21). The output
// dtype is y_zero_point's, else the `output_dtype` attribute (21), else u8. Float8 outputs (19+) are out of
// scope, so `saturate` (which only concerns float8) is ignored. The division is a float32 division, as the
// spec's formula and ONNX Runtime (MLAS) compute it: x * (1 / scale) would differ in the last bit.
#include <cstring>

#include "ops/op_schema.h"
#include "ops/quant_util.h"

namespace inr {

namespace {
bool supported_output(DType t) {
  return t == DType::kU8 || t == DType::kI8 || t == DType::kU16 || t == DType::kI16 || t == DType::kU4 ||
         t == DType::kI4;
}

float load_x(const Tensor& x, int64_t i) {
  if (x.dtype() == DType::kI32) return static_cast<float>(x.data<int32_t>()[i]);
  return load_scale(x, i);  // f32 / f16 / bf16
}

Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  INR_ASSIGN_OR_RETURN(QParamLayout layout, qparam_layout(node, in[0].shape(), in[1].shape()));
  const Tensor& x = in[0];
  const Tensor& scale = in[1];
  const Tensor zp = in.size() > 2 ? in[2] : Tensor();
  Tensor& y = out[0];
  QRange r = qrange(y.dtype());
  int64_t n = x.numel();
  if (layout.per_tensor && x.dtype() == DType::kF32 && scale.dtype() == DType::kF32 && is_q8(y.dtype())) {
    float s = scale.data<float>()[0];
    int32_t z = zp.defined() ? load_qint(zp, 0) : 0;
    const float* xs = x.data<float>();
    if (y.dtype() == DType::kU8) {
      uint8_t* ys = y.data<uint8_t>();
      for (int64_t i = 0; i < n; ++i) ys[i] = static_cast<uint8_t>(quantize_value(xs[i] / s, z, r));
    } else {
      int8_t* ys = y.data<int8_t>();
      for (int64_t i = 0; i < n; ++i) ys[i] = static_cast<int8_t>(quantize_value(xs[i] / s, z, r));
    }
    return Status::ok();
  }
  if (dtype_bytes(y.dtype(), n) > 0) std::memset(y.raw(), 0, y.bytes());  // 4-bit stores read-modify-write
  for (int64_t i = 0; i < n; ++i) {
    int64_t p = layout.index(i);
    int32_t z = zp.defined() ? load_qint(zp, p) : 0;
    float v = load_x(x, i) / load_scale(scale, p);
    store_qint(y, i, quantize_value(v, z, r));
  }
  return Status::ok();
}

Status infer(Node& node) {
  const Value* x = node.inputs[0];
  const Value* scale = node.inputs[1];
  const Value* zp = node.input(2);
  INR_TRY(expect_dtype(x, {DType::kF32, DType::kF16, DType::kBF16, DType::kI32}, "input x"));
  INR_TRY(expect_scale_dtype(scale, "y_scale"));
  DType out = DType::kU8;
  if (zp) {
    out = zp->dtype;
    if (shape_numel(zp->shape) != shape_numel(scale->shape))
      return error("y_zero_point shape {} differs from y_scale shape {}", shape_str(zp->shape), shape_str(scale->shape));
  } else if (int64_t od = node.attr_int("output_dtype", 0); od != 0) {
    out = dtype_from_onnx(static_cast<int>(od));
  }
  if (!supported_output(out))
    return error("output dtype {} is not supported (u8, s8, u16, s16, u4, s4; float8 is out of scope)", dtype_name(out));
  INR_TRY(qparam_layout(node, x->shape, scale->shape).status());
  set_output(node, 0, out, x->shape);
  return Status::ok();
}
}  // namespace

const OpSchema& schema_quantize_linear() {
  static const OpSchema s{Op::kQuantizeLinear, 2, 3, 1, 1, infer, run};
  return s;
}

}  // namespace inr
