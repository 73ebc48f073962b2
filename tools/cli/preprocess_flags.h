// Preprocessing flags shared by `inr preprocess`, `inr classify` and `inr eval`: a preset plus overrides
// of each of its fields. resolve() turns them into an image::PreprocessSpec + DecodeOptions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "image/image.h"
#include "image/preprocess.h"
#include "inr/status.h"

namespace inr::cli {

struct PreprocessFlags {
  std::string preset = std::string(image::kDefaultPreset);
  std::string resize;  // "256" (shorter side), "320x240" (exact WxH) or "none"
  std::string crop;    // "224", "224x200" (WxH) or "none"
  std::vector<double> mean;  // 1 or 3 values, in the preset's units and channel order
  std::vector<double> std;
  bool bgr = false;
  bool rgb = false;
  std::string interp;
  std::string layout;  // nchw | nhwc
  bool exif_orientation = false;
  int64_t max_pixels = image::kDefaultMaxPixels;
};

void add_preprocess_flags(CLI::App* app, PreprocessFlags& f);

Result<image::PreprocessSpec> resolve(const PreprocessFlags& f);
image::DecodeOptions decode_options(const PreprocessFlags& f);

}  // namespace inr::cli
