// A WindowGeometry of 1-3 spatial dims padded to 3-D (leading dims of size 1, kernel 1, stride 1) so one
// loop nest serves the 1-d, 2-d and 3-d forms of Conv and the pools.
#pragma once

#include <cstdint>

#include "ops/op_util.h"

namespace inr {

constexpr size_t kMaxSpatialRank = 3;

struct Window3 {
  int64_t in[kMaxSpatialRank], kernel[kMaxSpatialRank], stride[kMaxSpatialRank], dilation[kMaxSpatialRank],
      pad[kMaxSpatialRank], pad_end[kMaxSpatialRank], out[kMaxSpatialRank];
  int64_t in_size() const { return in[0] * in[1] * in[2]; }
  int64_t out_size() const { return out[0] * out[1] * out[2]; }
  int64_t kernel_size() const { return kernel[0] * kernel[1] * kernel[2]; }
};

inline Window3 to_window3(const WindowGeometry& g) {
  Window3 r;
  size_t lead = kMaxSpatialRank - g.rank();
  for (size_t d = 0; d < kMaxSpatialRank; ++d) {
    bool real = d >= lead;
    size_t i = d - lead;
    r.in[d] = real ? g.in[i] : 1;
    r.kernel[d] = real ? g.kernel[i] : 1;
    r.stride[d] = real ? g.stride[i] : 1;
    r.dilation[d] = real ? g.dilation[i] : 1;
    r.pad[d] = real ? g.pad_begin[i] : 0;
    r.pad_end[d] = real ? g.pad_end[i] : 0;
    r.out[d] = real ? g.out[i] : 1;
  }
  return r;
}

}  // namespace inr
