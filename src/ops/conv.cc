// Conv: N-d convolution (1-3 spatial dims) with group, dilations, strides, pads / auto_pad and an optional
// bias. ONNX spec: https://onnx.ai/onnx/operators/onnx__Conv.html (opsets 1, 11). The kernel is shared
// with FusedConv through ops/conv_kernel.h.
#include "ops/conv_kernel.h"
#include "ops/op_schema.h"

namespace inr {

namespace {
Status infer(Node& node) { return infer_conv(node).status(); }

Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const Tensor* b = in.size() > 2 && in[2].defined() ? &in[2] : nullptr;
  INR_ASSIGN_OR_RETURN(ConvShape s, conv_shape(node, in[0].shape(), in[1].shape(), b ? &b->shape() : nullptr));
  conv_f32(s, in[0].data<float>(), in[1].data<float>(), b ? b->data<float>() : nullptr, out[0].data<float>());
  return Status::ok();
}
}  // namespace

const OpSchema& schema_conv() {
  static const OpSchema s{Op::kConv, 2, 3, 1, 1, infer, run};
  return s;
}

}  // namespace inr
