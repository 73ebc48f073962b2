// DynamicQuantizeLinear: u8 quantisation of x with parameters computed from x itself.
// ONNX spec: https://onnx.ai/onnx/operators/onnx__DynamicQuantizeLinear.html (opset 11):
//   x_min = min(0, min(x)), x_max = max(0, max(x)), y_scale = (x_max - x_min) / 255,
//   y_zero_point = saturate(round_half_even(0 - x_min / y_scale)), y = saturate(round(x / y_scale) + y_zero_point).
// All in float32. When x is all zeros the spec's scale is 0 (a division by zero in the next step); inr, like
// ONNX Runtime, uses scale 1 then (every y is the zero point 0 either way).
#include <algorithm>

#include "ops/op_schema.h"
#include "ops/quant_util.h"

namespace inr {

namespace {
Status run(const Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  const float* x = in[0].data<float>();
  int64_t n = in[0].numel();
  float lo = 0.f, hi = 0.f;
  for (int64_t i = 0; i < n; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  QRange r = qrange(DType::kU8);
  float scale = hi == lo ? 1.f : (hi - lo) / static_cast<float>(r.hi - r.lo);
  float initial_zp = static_cast<float>(r.lo) - lo / scale;
  initial_zp = std::clamp(initial_zp, static_cast<float>(r.lo), static_cast<float>(r.hi));
  int32_t zp = static_cast<int32_t>(round_half_even(initial_zp));
  uint8_t* y = out[0].data<uint8_t>();
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<uint8_t>(quantize_value(x[i] / scale, zp, r));
  out[1].data<float>()[0] = scale;
  out[2].data<uint8_t>()[0] = static_cast<uint8_t>(zp);
  return Status::ok();
}

Status infer(Node& node) {
  INR_TRY(expect_dtype(node.inputs[0], {DType::kF32}, "input x"));
  set_output(node, 0, DType::kU8, node.inputs[0]->shape);
  set_output(node, 1, DType::kF32, {});
  set_output(node, 2, DType::kU8, {});
  return Status::ok();
}
}  // namespace

const OpSchema& schema_dynamic_quantize_linear() {
  static const OpSchema s{Op::kDynamicQuantizeLinear, 1, 1, 3, 3, infer, run};
  return s;
}

}  // namespace inr
