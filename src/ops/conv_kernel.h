// The convolution shared by Conv and FusedConv (and usable by backends as their oracle's geometry):
// shape validation, the reference kernel, and FusedConv's activation epilogue.
// ONNX spec: https://onnx.ai/onnx/operators/onnx__Conv.html (opsets 1, 11).
#pragma once

#include <cstdint>

#include "ops/op_util.h"

namespace inr {

struct ConvShape {
  WindowGeometry geometry;  // spatial dims (1..3) of X, with pads resolved from auto_pad
  int64_t batch = 0;
  int64_t in_channels = 0;   // C
  int64_t out_channels = 0;  // M
  int64_t group = 1;
};

// Validates X [N, C, spatial...], W [M, C/group, kernel...] and B [M] against the node's attributes
// (kernel_shape, strides, dilations, pads, auto_pad, group).
Result<ConvShape> conv_shape(const Node& node, const Shape& x, const Shape& w, const Shape* bias);
// conv_shape on the node's input values, plus dtype checks; sets output 0 (f32 [N, M, out...]).
Result<ConvShape> infer_conv(Node& node);

// y = conv(x, w) + bias, all f32, row-major. `bias` may be null. Reference algorithm: im2col per
// (image, group) and a blocked GEMM with float accumulation in ascending k order, so results do not
// depend on thread count.
void conv_f32(const ConvShape& s, const float* x, const float* w, const float* bias, float* y);

// FusedConv's epilogue: y = act(conv + bias + residual).
enum class ConvActivation { kNone, kRelu, kClip, kLeakyRelu, kHardSigmoid, kHardSwish, kSigmoid };
struct ConvEpilogue {
  ConvActivation activation = ConvActivation::kNone;
  float alpha = 0.f;  // Clip: min; LeakyRelu: alpha; HardSigmoid: alpha
  float beta = 0.f;   // Clip: max; HardSigmoid: beta
};
// Reads the `activation` string and `activation_params` floats of a FusedConv node.
Result<ConvEpilogue> conv_epilogue(const Node& node);
float apply_conv_activation(const ConvEpilogue& e, float v);

}  // namespace inr
