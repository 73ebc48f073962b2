#include "ops/pool_util.h"

namespace inr {

Result<WindowGeometry> pool_geometry(const Node& node, const Shape& x) {
  if (x.size() < 3 || x.size() > 2 + kMaxSpatialRank)
    return error("input X rank {}, expected 3..{} (N, C, 1-3 spatial dims)", x.size(), 2 + kMaxSpatialRank);
  if (!node.has_attr("kernel_shape")) return error("attribute kernel_shape is required");
  std::vector<int64_t> kernel = node.attr_ints("kernel_shape");
  if (kernel.size() + 2 != x.size())
    return error("kernel_shape has {} dims, input X has {} spatial dims", kernel.size(), x.size() - 2);
  int64_t ceil_mode = node.attr_int("ceil_mode", 0);
  if (ceil_mode != 0 && ceil_mode != 1) return error("ceil_mode {} must be 0 or 1", ceil_mode);
  INR_ASSIGN_OR_RETURN(WindowGeometry g, window_geometry(node, x, kernel, ceil_mode == 1));
  // A pad as large as the (dilated) window lets a window lie entirely in the padding: MaxPool would output
  // the dtype's lowest value and AveragePool divide by zero, so ONNX Runtime refuses it; so does inr.
  for (size_t i = 0; i < g.rank(); ++i) {
    const int64_t window = (g.kernel[i] - 1) * g.dilation[i] + 1;
    if (g.pad_begin[i] >= window || g.pad_end[i] >= window)
      return error("pads ({}, {}) of spatial dim {} must be smaller than the window ({})", g.pad_begin[i], g.pad_end[i],
                   i, window);
  }
  return g;
}

Status infer_global_pool(Node& node) {
  const Value* x = node.inputs[0];
  INR_TRY(expect_dtype(x, {DType::kF32}, "input X"));
  if (x->shape.size() < 3) return error("input X rank {}, expected >= 3 (N, C, spatial...)", x->shape.size());
  Shape out(x->shape.size(), 1);
  out[0] = x->shape[0];
  out[1] = x->shape[1];
  set_output(node, 0, DType::kF32, std::move(out));
  return Status::ok();
}

}  // namespace inr
