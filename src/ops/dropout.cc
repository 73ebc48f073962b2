// Dropout in inference: y = x, and the optional mask output is all true.
// ONNX spec: https://onnx.ai/onnx/operators/onnx__Dropout.html (opsets 7, 10, 12, 13). Before opset 12
// ratio is an attribute; from 12 ratio and training_mode are optional inputs. Training mode is only
// accepted when it is an identity anyway (ratio 0); otherwise it is an error (inference-only runtime).
// The mask has the data's type before opset 10 and bool from 10.
#include <cstring>

#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
constexpr int64_t kOpsetBoolMask = 10;
constexpr float kDefaultRatio = 0.5f;  // ONNX default, used when training_mode is set without a ratio

Status infer(Node& node) {
  const Value* x = node.inputs[0];
  INR_TRY(expect_dtype(x, {DType::kF32, DType::kF64, DType::kF16, DType::kBF16}, "data"));
  if (const Value* r = node.input(1)) INR_TRY(expect_scalar(r, "ratio"));
  if (const Value* t = node.input(2)) {
    INR_TRY(expect_dtype(t, {DType::kBool}, "training_mode"));
    INR_TRY(expect_scalar(t, "training_mode"));
  }
  set_output(node, 0, x->dtype, x->shape);
  if (node.outputs.size() > 1)
    set_output(node, 1, node_opset(node) < kOpsetBoolMask ? x->dtype : DType::kBool, x->shape);
  return Status::ok();
}

Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  bool training = in.size() > 2 && in[2].defined() && in[2].data<uint8_t>()[0] != 0;
  if (training) {
    float ratio = kDefaultRatio;
    if (in.size() > 1 && in[1].defined()) {
      switch (in[1].dtype()) {
        case DType::kF32: ratio = in[1].data<float>()[0]; break;
        case DType::kF64: ratio = static_cast<float>(in[1].data<double>()[0]); break;
        default: return error("ratio of dtype {} is not supported in training mode", dtype_name(in[1].dtype()));
      }
    }
    if (ratio != 0.f) return error("training-mode Dropout (ratio {}) is not supported (inference only)", ratio);
  }
  INR_TRY(copy_input0(node, in, out));
  if (out.size() > 1 && out[1].defined()) {
    Tensor& mask = out[1];
    switch (mask.dtype()) {
      case DType::kBool: std::memset(mask.raw(), 1, mask.bytes()); break;
      case DType::kF32: for (float& v : mask.span<float>()) v = 1.f; break;
      case DType::kF64: for (double& v : mask.span<double>()) v = 1.0; break;
      default: return error("mask of dtype {} is not supported", dtype_name(mask.dtype()));
    }
  }
  return Status::ok();
}
}  // namespace

const OpSchema& schema_dropout() {
  static const OpSchema s{Op::kDropout, 1, 3, 1, 2, infer, run};
  return s;
}

}  // namespace inr
