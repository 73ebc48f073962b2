// FusedConv (domain "inr", internal, produced by passes/fusion): y = act(conv(X, W) + B + Z).
// Inputs X, W, optional B [M], optional Z (a residual of the output's shape, added after the bias).
// Attributes: everything Conv has (https://onnx.ai/onnx/operators/onnx__Conv.html), plus `activation`
// ("" | Relu | Clip | LeakyRelu | HardSigmoid | HardSwish | Sigmoid, with the ONNX op's semantics) and
// `activation_params` (Clip: [min, max]; LeakyRelu: [alpha]; HardSigmoid: [alpha, beta]).
#include "ops/conv_kernel.h"
#include "ops/op_schema.h"

namespace inr {

namespace {
Status infer(Node& node) {
  INR_TRY(infer_conv(node).status());
  INR_TRY(conv_epilogue(node).status());
  if (const Value* z = node.input(3)) {
    INR_TRY(expect_dtype(z, {DType::kF32}, "residual Z"));
    if (z->shape != node.outputs[0]->shape)
      return error("residual Z '{}' has shape {}, expected the output's {}", z->name, shape_str(z->shape),
                   shape_str(node.outputs[0]->shape));
  }
  return Status::ok();
}

Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const Tensor* b = in.size() > 2 && in[2].defined() ? &in[2] : nullptr;
  const Tensor* z = in.size() > 3 && in[3].defined() ? &in[3] : nullptr;
  INR_ASSIGN_OR_RETURN(ConvShape s, conv_shape(node, in[0].shape(), in[1].shape(), b ? &b->shape() : nullptr));
  INR_ASSIGN_OR_RETURN(ConvEpilogue e, conv_epilogue(node));
  float* y = out[0].data<float>();
  conv_f32(s, in[0].data<float>(), in[1].data<float>(), b ? b->data<float>() : nullptr, y);
  const float* zp = z ? z->data<float>() : nullptr;
  for (int64_t i = 0, n = out[0].numel(); i < n; ++i) y[i] = apply_conv_activation(e, zp ? y[i] + zp[i] : y[i]);
  return Status::ok();
}
}  // namespace

const OpSchema& schema_fused_conv() {
  static const OpSchema s{Op::kFusedConv, 2, 4, 1, 1, infer, run};
  return s;
}

}  // namespace inr
