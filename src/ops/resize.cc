// Resize: nearest or (multi)linear resampling of every dim (mode "cubic", antialias, axes,
// keep_aspect_ratio_policy and coordinate mode tf_crop_and_resize are refused at load).
// Output size: `sizes`, or floor(in * scales). Each output coordinate maps back by
// coordinate_transformation_mode (half_pixel default; opset 10: asymmetric); nearest rounds by nearest_mode
// (round_prefer_floor default; opset 10: floor, as Upsample); linear blends the two neighbours, indices
// clamped to the edge (the ONNX reference pads with edge values).
// ONNX spec: https://onnx.ai/onnx/operators/onnx__Resize.html (opsets 10, 11, 13, 18, 19). scales / sizes
// must be known at plan time.
#include <algorithm>
#include <cmath>

#include "ops/op_schema.h"
#include "ops/op_util.h"

namespace inr {

namespace {
constexpr int64_t kOpsetRoiInput = 11;

struct ResizePlan {
  std::vector<float> scale;  // per dim, as the coordinate transform uses it
  Shape out;
  std::string mode, coord, nearest;
};

Result<ResizePlan> plan(const Node& node, const Shape& x) {
  ResizePlan p;
  bool v10 = node_opset(node) < kOpsetRoiInput;
  p.mode = node.attr_string("mode", "nearest");
  p.coord = node.attr_string("coordinate_transformation_mode", v10 ? "asymmetric" : "half_pixel");
  p.nearest = node.attr_string("nearest_mode", v10 ? "floor" : "round_prefer_floor");
  if (p.mode != "nearest" && p.mode != "linear")
    return error("mode '{}' is not supported (nearest, linear)", p.mode);
  static constexpr const char* kCoord[] = {"half_pixel", "pytorch_half_pixel",        "align_corners",
                                           "asymmetric", "tf_half_pixel_for_nearest", "half_pixel_symmetric"};
  if (std::find(std::begin(kCoord), std::end(kCoord), p.coord) == std::end(kCoord))
    return error("coordinate_transformation_mode '{}' is not supported", p.coord);
  static constexpr const char* kNearest[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
  if (std::find(std::begin(kNearest), std::end(kNearest), p.nearest) == std::end(kNearest))
    return error("nearest_mode '{}' is not supported", p.nearest);
  if (node.attr_int("antialias", 0) != 0) return error("antialias is not supported");
  if (node.has_attr("axes")) return error("the axes attribute is not supported");
  if (node.attr_string("keep_aspect_ratio_policy", "stretch") != "stretch")
    return error("keep_aspect_ratio_policy other than stretch is not supported");
  const Value* scales_v = node.input(v10 ? 1 : 2);
  const Value* sizes_v = v10 ? nullptr : node.input(3);
  std::vector<float> scales;
  std::vector<int64_t> sizes;
  if (scales_v && shape_numel(scales_v->shape) > 0) {
    INR_ASSIGN_OR_RETURN(scales, constant_floats(scales_v, "scales"));
  }
  if (sizes_v && shape_numel(sizes_v->shape) > 0) {
    INR_ASSIGN_OR_RETURN(sizes, constant_ints(sizes_v, "sizes"));
  }
  if (scales.empty() == sizes.empty()) return error("exactly one of scales and sizes must be given");
  size_t r = x.size();
  p.out = x;
  p.scale.assign(r, 1.f);
  if (!scales.empty()) {
    if (scales.size() != r) return error("scales has {} entries, input has rank {}", scales.size(), r);
    for (size_t d = 0; d < r; ++d) {
      if (!(scales[d] > 0)) return error("scale {} is not positive", scales[d]);
      p.scale[d] = scales[d];
      // An infinite or huge scale would make the int64 conversion undefined (x86 gives INT64_MIN).
      const double scaled = std::floor(static_cast<double>(x[d]) * scales[d]);
      if (!(scaled < 0x1p62)) return error("scale {} makes dim {} of size {} too large ({})", scales[d], d, x[d], scaled);
      p.out[d] = static_cast<int64_t>(scaled);
    }
  } else {
    if (sizes.size() != r) return error("sizes has {} entries, input has rank {}", sizes.size(), r);
    for (size_t d = 0; d < r; ++d) {
      if (sizes[d] < 1) return error("size {} is not positive", sizes[d]);
      p.out[d] = sizes[d];
      p.scale[d] = static_cast<float>(sizes[d]) / static_cast<float>(x[d]);
    }
  }
  return p;
}

// Output coordinate -> input coordinate along one dim.
double source_coord(const ResizePlan& p, double xo, double scale, int64_t in_len, int64_t out_len) {
  if (p.coord == "half_pixel") return (xo + 0.5) / scale - 0.5;
  if (p.coord == "pytorch_half_pixel") return out_len > 1 ? (xo + 0.5) / scale - 0.5 : 0.0;
  if (p.coord == "align_corners")
    return out_len == 1 ? 0.0 : xo * static_cast<double>(in_len - 1) / static_cast<double>(out_len - 1);
  if (p.coord == "tf_half_pixel_for_nearest") return (xo + 0.5) / scale;
  if (p.coord == "half_pixel_symmetric") {
    double adj = static_cast<double>(out_len) / (scale * static_cast<double>(in_len));
    double center = static_cast<double>(in_len) / 2.0;
    return center * (1.0 - adj) + (xo + 0.5) / scale - 0.5;
  }
  return xo / scale;  // asymmetric
}

int64_t nearest_index(const ResizePlan& p, double x) {
  double f = std::floor(x);
  if (p.nearest == "floor") return static_cast<int64_t>(f);
  if (p.nearest == "ceil") return static_cast<int64_t>(std::ceil(x));
  if (x - f == 0.5) return static_cast<int64_t>(p.nearest == "round_prefer_floor" ? f : f + 1);
  return static_cast<int64_t>(std::round(x));
}

Status run(const Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const Shape& s = in[0].shape();
  INR_ASSIGN_OR_RETURN(ResizePlan p, plan(node, s));
  size_t r = s.size();
  bool linear = p.mode == "linear";
  // Per dim and output coordinate: two source indices and their weights (nearest: one, weight 1).
  std::vector<std::vector<int64_t>> i0(r), i1(r);
  std::vector<std::vector<double>> w1(r);
  for (size_t d = 0; d < r; ++d) {
    for (int64_t o = 0; o < p.out[d]; ++o) {
      double x = source_coord(p, static_cast<double>(o), p.scale[d], s[d], p.out[d]);
      if (linear) {
        double f = std::floor(x);
        auto lo = static_cast<int64_t>(f);
        i0[d].push_back(std::clamp<int64_t>(lo, 0, s[d] - 1));
        i1[d].push_back(std::clamp<int64_t>(lo + 1, 0, s[d] - 1));
        w1[d].push_back(x - f);
      } else {
        int64_t k = std::clamp<int64_t>(nearest_index(p, x), 0, s[d] - 1);
        i0[d].push_back(k);
        i1[d].push_back(k);
        w1[d].push_back(0.0);
      }
    }
  }
  std::vector<int64_t> stride(r);
  int64_t st = 1;
  for (size_t d = r; d-- > 0;) {
    stride[d] = st;
    st *= s[d];
  }
  const float* xp = in[0].data<float>();
  float* y = out[0].data<float>();
  std::vector<int64_t> idx(r, 0);
  size_t corners = linear ? (size_t{1} << r) : 1;
  for (int64_t i = 0, n = out[0].numel(); i < n; ++i) {
    double acc = 0;
    for (size_t c = 0; c < corners; ++c) {
      double w = 1;
      int64_t at = 0;
      for (size_t d = 0; d < r; ++d) {
        bool hi = (c >> d) & 1;
        double wd = hi ? w1[d][idx[d]] : 1.0 - w1[d][idx[d]];
        w *= wd;
        at += (hi ? i1[d][idx[d]] : i0[d][idx[d]]) * stride[d];
      }
      if (w != 0) acc += w * xp[at];
    }
    y[i] = static_cast<float>(acc);
    for (size_t d = r; d-- > 0;) {
      if (++idx[d] < p.out[d]) break;
      idx[d] = 0;
    }
  }
  return Status::ok();
}

Status infer(Node& node) {
  const Value* x = node.inputs[0];
  INR_TRY(expect_dtype(x, {DType::kF32}, "input X"));
  if (x->shape.empty()) return error("input X '{}' is a scalar", x->name);
  INR_ASSIGN_OR_RETURN(ResizePlan p, plan(node, x->shape));
  set_output(node, 0, DType::kF32, p.out);
  return Status::ok();
}
}  // namespace

const OpSchema& schema_resize() {
  static const OpSchema s{Op::kResize, 1, 4, 1, 1, infer, run};
  return s;
}

}  // namespace inr
