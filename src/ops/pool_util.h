// Shared geometry for MaxPool and AveragePool: attribute validation and a window walk over 1-3 spatial
// dims. ONNX specs: https://onnx.ai/onnx/operators/onnx__MaxPool.html,
// https://onnx.ai/onnx/operators/onnx__AveragePool.html
#pragma once

#include "ops/op_util.h"
#include "ops/window3.h"

namespace inr {

// Validates X [N, C, spatial...] against kernel_shape / strides / pads / dilations / auto_pad / ceil_mode.
Result<WindowGeometry> pool_geometry(const Node& node, const Shape& x);

// Calls f(plane_offset_of_input_element, inside_input, inside_padded_input) for every tap of the window
// of output position (od, oh, ow).
template <typename F>
void for_each_tap(const Window3& g, int64_t od, int64_t oh, int64_t ow, F f) {
  for (int64_t kd = 0; kd < g.kernel[0]; ++kd) {
    int64_t id = od * g.stride[0] - g.pad[0] + kd * g.dilation[0];
    for (int64_t kh = 0; kh < g.kernel[1]; ++kh) {
      int64_t ih = oh * g.stride[1] - g.pad[1] + kh * g.dilation[1];
      for (int64_t kw = 0; kw < g.kernel[2]; ++kw) {
        int64_t iw = ow * g.stride[2] - g.pad[2] + kw * g.dilation[2];
        bool inside = id >= 0 && id < g.in[0] && ih >= 0 && ih < g.in[1] && iw >= 0 && iw < g.in[2];
        bool in_padded = id < g.in[0] + g.pad_end[0] && ih < g.in[1] + g.pad_end[1] && iw < g.in[2] + g.pad_end[2];
        f(inside ? (id * g.in[1] + ih) * g.in[2] + iw : -1, inside, in_padded);
      }
    }
  }
}

// infer of GlobalAveragePool / GlobalMaxPool: f32 X of rank >= 3 -> [N, C, 1, ...].
Status infer_global_pool(Node& node);

}  // namespace inr
