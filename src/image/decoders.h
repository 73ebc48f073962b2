// Internal: the JPEG and PNG decoders behind image.h, with the hooks the preprocessing fast path needs
// (decode only the source region that survives resize + center crop; reuse buffers across images).
#pragma once

#include <csetjmp>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "image/image.h"

namespace inr::image::detail {

// Half-open rectangle [x0, x1) x [y0, y1) in full-image coordinates.
struct Rect {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};

// Asked, once the header has been read, which part of a width x height image the caller needs.
class RegionPlanner {
 public:
  virtual ~RegionPlanner() = default;
  virtual Rect plan(int width, int height) = 0;
};

// A decoded part of an image: `image` holds the pixels of full-image columns [x0, x0 + image.width) and
// rows [y0, y0 + image.height); it may be larger than what the planner asked for (JPEG iMCU alignment).
struct DecodedRegion {
  int full_width = 0;
  int full_height = 0;
  int x0 = 0;
  int y0 = 0;
  int exif_orientation = 1;  // 1 when absent or not asked for
  Image image;
};

// JPEG through the libjpeg API (not TurboJPEG) because Pillow uses it with default settings and we want its
// exact pixels, and because jpeg_crop_scanline/jpeg_skip_scanlines let us skip the cropped-away parts.
// One decoder per thread; it keeps its libjpeg state and row buffers between images. Not thread-safe.
class JpegDecoder {
 public:
  JpegDecoder();
  ~JpegDecoder();
  JpegDecoder(const JpegDecoder&) = delete;
  JpegDecoder& operator=(const JpegDecoder&) = delete;
  // Errors are "JPEG decode failed: <reason>" without the file name. `planner` may be null (whole image).
  Status decode(std::span<const uint8_t> bytes, const DecodeOptions& options, RegionPlanner* planner,
                DecodedRegion& out);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// PNG through libpng; always decodes the whole image (deflate streams cannot be entered in the middle).
Status decode_png(std::span<const uint8_t> bytes, const DecodeOptions& options, DecodedRegion& out,
                  std::vector<uint8_t>& scratch);

// EXIF orientation (tag 0x0112) from a TIFF-structured EXIF block (starting at "II*\0" / "MM\0*");
// 1 when absent or malformed.
int exif_orientation_from_tiff(const uint8_t* data, size_t size);

// Pillow's cmyk2rgb (src/libImaging/Convert.c): R = clip(nk - nk * C / 255) with nk = 255 - K, using its
// MULDIV255 rounding, on already-inverted ("CMYK;I") samples.
void cmyk_to_rgb_row(const uint8_t* cmyk, uint8_t* rgb, int width);

// Shared by the decoders: refuses an image before any pixel buffer is allocated.
Status check_pixel_limit(int64_t width, int64_t height, const DecodeOptions& options);

}  // namespace inr::image::detail
