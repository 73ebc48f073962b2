// Decoding JPEG and PNG files into 8-bit RGB, the way Pillow's Image.open(f).convert("RGB") does, so that
// preprocessing matches the pipelines ImageNet models were trained and evaluated with.
//
// Contract:
//  - An Image is 8-bit RGB, interleaved, row-major HWC, row stride = width * 3, no padding.
//  - Colour conversion follows Pillow 9.4 (src/libImaging/Convert.c): grayscale is replicated into R=G=B,
//    alpha is dropped without compositing, palettes are expanded, CMYK/YCCK JPEGs are inverted as Adobe
//    writes them ("CMYK;I") and converted with Pillow's cmyk2rgb (no colour management).
//  - 16-bit PNG samples keep their high byte (Pillow does this for RGB;16B; for 16-bit grayscale Pillow
//    would clip to 255, which destroys the image, so we scale the same way as colour instead).
//  - JPEG decoding uses libjpeg with its defaults (JDCT_ISLOW, fancy upsampling), the settings Pillow uses,
//    so pixels are identical to Pillow's on the same libjpeg-turbo.
//  - EXIF orientation is ignored unless DecodeOptions::apply_exif_orientation (training pipelines ignored it).
//  - Images with more than DecodeOptions::max_pixels pixels are refused after reading the header, before
//    any pixel buffer is allocated.
//  - Errors are one line: "<path>: JPEG decode failed: premature end of data". No exceptions escape.
//  - All functions are thread-safe; they share no state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <algorithm>

#include "inr/status.h"

namespace inr::image {

// Pillow's Image.MAX_IMAGE_PIXELS = 1024 * 1024 * 1024 // 4 // 3 (PIL/Image.py); Pillow raises
// DecompressionBombError above twice that, which is the limit we refuse at by default.
inline constexpr int64_t kPillowMaxImagePixels = 1024LL * 1024 * 1024 / 4 / 3;
inline constexpr int64_t kDefaultMaxPixels = 2 * kPillowMaxImagePixels;

// The preprocessed output (what becomes a float tensor, 12 bytes a pixel) is held to Pillow's warning threshold,
// or to max_pixels when that is lower: a crop or resize of 10000x10000 is 1.2 GB of tensor per image.
inline constexpr int64_t output_pixel_limit(int64_t max_pixels) { return std::min(max_pixels, kPillowMaxImagePixels); }

struct DecodeOptions {
  bool apply_exif_orientation = false;
  int64_t max_pixels = kDefaultMaxPixels;  // width * height above this is an error
};

enum class ImageFormat { kUnknown, kJpeg, kPng };

struct Image {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;  // width * height * 3 bytes, RGB
  const uint8_t* row(int y) const { return pixels.data() + static_cast<size_t>(y) * static_cast<size_t>(width) * 3; }
  uint8_t* row(int y) { return pixels.data() + static_cast<size_t>(y) * static_cast<size_t>(width) * 3; }
};

// Sniffs the format from the first bytes (JPEG SOI FF D8 FF, PNG signature).
ImageFormat detect_format(std::span<const uint8_t> bytes);

// Decodes `bytes` (JPEG or PNG). `name` is used only as the prefix of error messages.
Result<Image> decode_memory(std::span<const uint8_t> bytes, const DecodeOptions& options,
                            const std::string& name = "<memory>");
Result<Image> decode_file(const std::string& path, const DecodeOptions& options = {});

// Same as decode_memory but reuses `out`'s buffer (no allocation when it is large enough).
Status decode_memory_into(std::span<const uint8_t> bytes, const DecodeOptions& options, const std::string& name,
                          Image& out);

// Rotates/flips `img` as EXIF orientation 1..8 asks (TIFF 6.0 tag 274; Pillow's ImageOps.exif_transpose).
void apply_orientation(Image& img, int orientation);

}  // namespace inr::image
