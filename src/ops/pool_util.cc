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
  return window_geometry(node, x, kernel, ceil_mode == 1);
}

}  // namespace inr
