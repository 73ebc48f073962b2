// Format dispatch, pixel limit, EXIF orientation: the parts of decoding shared by JPEG and PNG.
#include <cstring>

#include "core/file.h"
#include "image/decoders.h"

namespace inr::image {

using detail::DecodedRegion;

ImageFormat detect_format(std::span<const uint8_t> b) {
  static constexpr uint8_t kPngSig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (b.size() >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff) return ImageFormat::kJpeg;
  if (b.size() >= 8 && std::memcmp(b.data(), kPngSig, 8) == 0) return ImageFormat::kPng;
  return ImageFormat::kUnknown;
}

namespace detail {

Status check_pixel_limit(int64_t width, int64_t height, const DecodeOptions& options) {
  if (width <= 0 || height <= 0) return error("image has no pixels ({}x{})", width, height);
  if (width * height > options.max_pixels)
    return error("image is {}x{} = {} pixels, above the limit of {} (decompression-bomb guard; raise it with "
                 "--max-pixels)",
                 width, height, width * height, options.max_pixels);
  return Status::ok();
}

int exif_orientation_from_tiff(const uint8_t* d, size_t n) {
  // TIFF 6.0 header: byte order "II" or "MM", 42, offset of IFD0; IFD0 is a count and 12-byte entries.
  if (n < 8) return 1;
  bool le;
  if (d[0] == 'I' && d[1] == 'I') {
    le = true;
  } else if (d[0] == 'M' && d[1] == 'M') {
    le = false;
  } else {
    return 1;
  }
  auto u16 = [&](size_t o) -> uint32_t {
    return le ? (d[o] | (d[o + 1] << 8)) : ((d[o] << 8) | d[o + 1]);
  };
  auto u32 = [&](size_t o) -> uint32_t {
    return le ? (d[o] | (d[o + 1] << 8) | (d[o + 2] << 16) | (static_cast<uint32_t>(d[o + 3]) << 24))
              : ((static_cast<uint32_t>(d[o]) << 24) | (d[o + 1] << 16) | (d[o + 2] << 8) | d[o + 3]);
  };
  if (u16(2) != 42) return 1;
  size_t ifd = u32(4);
  if (ifd > n || n - ifd < 2) return 1;
  size_t count = u16(ifd);
  constexpr uint32_t kOrientationTag = 0x0112, kTypeShort = 3;
  for (size_t i = 0; i < count; ++i) {
    size_t e = ifd + 2 + i * 12;
    if (e + 12 > n) return 1;
    if (u16(e) == kOrientationTag && u16(e + 2) == kTypeShort) {
      uint32_t v = u16(e + 8);  // a SHORT value sits in the first two bytes of the value field
      return (v >= 1 && v <= 8) ? static_cast<int>(v) : 1;
    }
  }
  return 1;
}

}  // namespace detail

void apply_orientation(Image& img, int orientation) {
  if (orientation <= 1 || orientation > 8) return;
  const int w = img.width, h = img.height;
  const bool swap = orientation >= 5;  // 5..8 transpose the axes
  Image out;
  out.width = swap ? h : w;
  out.height = swap ? w : h;
  out.pixels.resize(img.pixels.size());
  // For each output pixel, the source pixel (Pillow ImageOps.exif_transpose: 2 FLIP_LEFT_RIGHT,
  // 3 ROTATE_180, 4 FLIP_TOP_BOTTOM, 5 TRANSPOSE, 6 ROTATE_270, 7 TRANSVERSE, 8 ROTATE_90).
  for (int y = 0; y < out.height; ++y) {
    uint8_t* dst = out.row(y);
    for (int x = 0; x < out.width; ++x) {
      int sx = 0, sy = 0;
      switch (orientation) {
        case 2: sx = w - 1 - x; sy = y; break;
        case 3: sx = w - 1 - x; sy = h - 1 - y; break;
        case 4: sx = x; sy = h - 1 - y; break;
        case 5: sx = y; sy = x; break;
        case 6: sx = y; sy = h - 1 - x; break;
        case 7: sx = w - 1 - y; sy = h - 1 - x; break;
        case 8: sx = w - 1 - y; sy = x; break;
      }
      const uint8_t* src = img.row(sy) + sx * 3;
      dst[x * 3 + 0] = src[0];
      dst[x * 3 + 1] = src[1];
      dst[x * 3 + 2] = src[2];
    }
  }
  img = std::move(out);
}

Status decode_memory_into(std::span<const uint8_t> bytes, const DecodeOptions& options, const std::string& name,
                          Image& out) {
  DecodedRegion region;
  region.image = std::move(out);
  Status s;
  switch (detect_format(bytes)) {
    case ImageFormat::kJpeg: {
      detail::JpegDecoder dec;
      s = dec.decode(bytes, options, nullptr, region);
      break;
    }
    case ImageFormat::kPng: {
      std::vector<uint8_t> scratch;
      s = detail::decode_png(bytes, options, region, scratch);
      break;
    }
    case ImageFormat::kUnknown:
      s = bytes.empty() ? error("empty file, not an image") : error("not a JPEG or PNG image (unrecognised signature)");
      break;
  }
  out = std::move(region.image);
  if (!s) return s.with_context(name);
  if (options.apply_exif_orientation) apply_orientation(out, region.exif_orientation);
  return Status::ok();
}

Result<Image> decode_memory(std::span<const uint8_t> bytes, const DecodeOptions& options, const std::string& name) {
  Image img;
  INR_TRY(decode_memory_into(bytes, options, name, img));
  return img;
}

Result<Image> decode_file(const std::string& path, const DecodeOptions& options) {
  INR_ASSIGN_OR_RETURN(std::string data, read_file(path));
  return decode_memory({reinterpret_cast<const uint8_t*>(data.data()), data.size()}, options, path);
}

}  // namespace inr::image
