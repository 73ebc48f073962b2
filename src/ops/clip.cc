// Clip: y = min(max(x, min), max). ONNX spec: https://onnx.ai/onnx/operators/onnx__Clip.html
// Opset 6: bounds are float attributes `min`/`max`. Opset 11+: bounds are optional scalar inputs 1 and 2
// of x's type (opset 12 adds integer types). An absent bound is the type's lowest/highest value.
#include <algorithm>
#include <limits>

#include "ops/elementwise.h"
#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {

// Opset where min/max moved from attributes to inputs.
constexpr int64_t kOpsetBoundsAsInputs = 11;

Status infer(Node& node) {
  const Value* x = node.inputs[0];
  bool as_inputs = node_opset(node) >= kOpsetBoundsAsInputs;
  if (as_inputs) {
    INR_TRY(expect_dtype(x, {DType::kF32, DType::kF64, DType::kI8, DType::kU8, DType::kI32, DType::kI64}, "input"));
    for (size_t i = 1; i < 3; ++i) {
      const Value* b = node.input(i);
      if (b == nullptr) continue;
      INR_TRY(expect_scalar(b, i == 1 ? "min" : "max"));
      if (b->dtype != x->dtype)
        return error("{} '{}' has dtype {}, expected the input's {}", i == 1 ? "min" : "max", b->name,
                     dtype_name(b->dtype), dtype_name(x->dtype));
    }
  } else {
    INR_TRY(expect_dtype(x, {DType::kF32}, "input"));
    if (node.inputs.size() > 1) return error("opset {} Clip takes one input (bounds are attributes)", node_opset(node));
  }
  set_output(node, 0, x->dtype, x->shape);
  return Status::ok();
}

template <typename T>
T bound(std::span<const Tensor> in, size_t i, T def) {
  return i < in.size() && in[i].defined() && in[i].numel() == 1 ? in[i].data<T>()[0] : def;
}

Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  if (node_opset(node) < kOpsetBoundsAsInputs) {
    float lo = node.attr_float("min", std::numeric_limits<float>::lowest());
    float hi = node.attr_float("max", std::numeric_limits<float>::max());
    map_unary<float>(in[0], out[0], [&](float v) { return std::min(std::max(v, lo), hi); });
    return Status::ok();
  }
  return visit_numeric(in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    T lo = bound<T>(in, 1, std::numeric_limits<T>::lowest());
    T hi = bound<T>(in, 2, std::numeric_limits<T>::max());
    map_unary<T>(in[0], out[0], [&](T v) { return std::min(std::max(v, lo), hi); });
  });
}

}  // namespace

const OpSchema& schema_clip() {
  static const OpSchema s{Op::kClip, 1, 3, 1, 1, infer, run};
  return s;
}

}  // namespace inr
