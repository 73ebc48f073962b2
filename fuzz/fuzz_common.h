// Shared body of the decoder fuzz targets: decode the input as a whole image, then run the full
// preprocessing pipeline (which takes the JPEG region-decoding path) with two presets. Any input must
// give either a result or a Status, never a crash, leak or sanitizer report.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "image/image.h"
#include "image/preprocess.h"

namespace inr::fuzz {

// Keeps allocations far below libFuzzer's default 2 GB RSS limit.
inline constexpr int64_t kFuzzMaxPixels = 4 * 1024 * 1024;

inline void decode_and_preprocess(const uint8_t* data, size_t size) {
  std::span<const uint8_t> bytes(data, size);
  image::DecodeOptions opts;
  opts.max_pixels = kFuzzMaxPixels;
  opts.apply_exif_orientation = size > 0 && (data[size - 1] & 1);
  auto img = image::decode_memory(bytes, opts, "fuzz");
  if (img && img->pixels.size() != static_cast<size_t>(img->width) * img->height * 3) __builtin_trap();
  static image::Preprocessor* tv = [] {
    image::DecodeOptions o;
    o.max_pixels = kFuzzMaxPixels;
    return new image::Preprocessor(image::preset_spec("torchvision").value(), o);
  }();
  static image::Preprocessor* cv = [] {
    image::DecodeOptions o;
    o.max_pixels = kFuzzMaxPixels;
    auto spec = image::preset_spec("caffe2").value();
    spec.interp = image::Kernel::kCvArea;
    return new image::Preprocessor(spec, o);
  }();
  static float out[3 * 224 * 224];
  (void)tv->run(bytes, "fuzz", out, sizeof(out));
  (void)cv->run(bytes, "fuzz", out, sizeof(out));
}

}  // namespace inr::fuzz
