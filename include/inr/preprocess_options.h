// How images become model inputs, as a preset plus overrides of its fields: what `-p` and the
// preprocessing flags of every inr command set, and what the library's drivers (inr/eval.h, the Python
// module) take. The presets are listed by `inr list presets` (src/image/presets.cc).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace inr {

// Twice Pillow's MAX_IMAGE_PIXELS; equal to image::kDefaultMaxPixels (a static_assert in src/drivers checks it).
inline constexpr int64_t kDefaultMaxPixels = 2 * 89478485;

struct PreprocessOptions {
  std::string preset = "torchvision";  // or an alias such as runner-caffe2
  std::string resize;                  // "256" (shorter side), "320x240" (exact WxH) or "none"; "": preset's
  std::string crop;                    // "224", "224x200" (WxH) or "none"; "": preset's
  std::vector<double> mean;            // 1 or 3 values, in the preset's units and channel order; empty: preset's
  std::vector<double> std;
  bool bgr = false;  // force BGR output
  bool rgb = false;  // force RGB output
  std::string interp;  // pil_bilinear|pil_bicubic|pil_lanczos|cv_linear|cv_cubic|cv_area; "": preset's
  std::string layout;  // nchw | nhwc; "": preset's
  bool exif_orientation = false;
  int64_t max_pixels = kDefaultMaxPixels;
};

}  // namespace inr
