// PNG decoding with libpng, converting to RGB the way Pillow's PngImagePlugin + convert("RGB") do:
// gray (any bit depth) replicated, low bit depths scaled to 0..255 (Pillow's "L;2"/"L;4" unpackers and "1"),
// palettes looked up (transparency ignored), alpha dropped without compositing, 16-bit samples reduced to
// their high byte (Pillow's "RGB;16B" unpacker), no gamma or colour-profile handling (Pillow applies none).
//
// Errors: libpng reports fatal errors through png_error -> our error callback, which longjmps back to
// decode_png (libpng's documented setjmp protocol). The read struct is destroyed on every path; the pixel
// and scratch buffers are C++ objects owned by the caller, so nothing leaks. Like Pillow, a CRC error in
// any chunk before the image data is fatal (Pillow raises "broken PNG file"); so is running out of data.
#include <png.h>

#include <cstring>
#include <string>

#include "image/decoders.h"

namespace inr::image::detail {

namespace {

struct ReadState {
  const uint8_t* data;
  size_t size;
  size_t pos;
  char message[200];
};

void on_png_error(png_structp png, png_const_charp msg) {
  auto* st = static_cast<ReadState*>(png_get_error_ptr(png));
  std::snprintf(st->message, sizeof(st->message), "%s", msg);
  png_longjmp(png, 1);
}
void on_png_warning(png_structp, png_const_charp) {}  // ancillary problems are not worth a line on stderr

void on_png_read(png_structp png, png_bytep dst, png_size_t n) {
  auto* st = static_cast<ReadState*>(png_get_io_ptr(png));
  if (n > st->size - st->pos) png_error(png, "premature end of data");
  std::memcpy(dst, st->data + st->pos, n);
  st->pos += n;
}

}  // namespace

Status decode_png(std::span<const uint8_t> bytes, const DecodeOptions& options, DecodedRegion& out,
                  std::vector<uint8_t>& scratch) {
  ReadState st{bytes.data(), bytes.size(), 0, {0}};
  // Declared before setjmp: a longjmp must not skip the destructor of anything that owns memory.
  std::vector<png_bytep> rows;
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &st, on_png_error, on_png_warning);
  if (png == nullptr) return error("PNG decode failed: cannot create libpng reader");
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    return error("PNG decode failed: cannot create libpng info");
  }
  // Locals modified after setjmp and read after longjmp must be volatile; we read none of them.
  if (setjmp(png_jmpbuf(png)) != 0) {
    png_destroy_read_struct(&png, &info, nullptr);
    return Status::error(std::string("PNG decode failed: ") + st.message);
  }
  png_set_read_fn(png, &st, on_png_read);
  png_set_crc_action(png, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);
  png_read_info(png, info);

  png_uint_32 width = 0, height = 0;
  int bit_depth = 0, color_type = 0, interlace = 0;
  png_get_IHDR(png, info, &width, &height, &bit_depth, &color_type, &interlace, nullptr, nullptr);
  Status limit = check_pixel_limit(width, height, options);
  if (!limit) {
    png_destroy_read_struct(&png, &info, nullptr);
    return limit;
  }
  out.exif_orientation = 1;
#ifdef PNG_eXIf_SUPPORTED
  if (options.apply_exif_orientation) {
    png_uint_32 n = 0;
    png_bytep exif = nullptr;
    if (png_get_eXIf_1(png, info, &n, &exif) != 0 && exif != nullptr)
      out.exif_orientation = exif_orientation_from_tiff(exif, n);
  }
#endif

  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (bit_depth == 16) png_set_strip_16(png);
  if (interlace != PNG_INTERLACE_NONE) png_set_interlace_handling(png);
  png_read_update_info(png, info);

  const int channels = png_get_channels(png, info);
  const size_t rowbytes = png_get_rowbytes(png, info);
  if (png_get_bit_depth(png, info) != 8 || channels < 1 || channels > 4 || rowbytes != width * static_cast<size_t>(channels))
    png_error(png, "unexpected pixel layout after transformations");

  out.full_width = static_cast<int>(width);
  out.full_height = static_cast<int>(height);
  out.x0 = out.y0 = 0;
  Image& img = out.image;
  img.width = static_cast<int>(width);
  img.height = static_cast<int>(height);
  img.pixels.resize(static_cast<size_t>(width) * height * 3);
  // Interlaced images need all rows at once; otherwise decode row by row into a one-row scratch.
  const bool direct = channels == 3;
  const bool whole = interlace != PNG_INTERLACE_NONE && !direct;
  scratch.resize(direct ? 0 : rowbytes * (whole ? height : 1));

  auto convert_row = [&](const uint8_t* src, uint8_t* dst) {
    for (png_uint_32 x = 0; x < width; ++x) {
      const uint8_t* p = src + x * static_cast<size_t>(channels);
      if (channels <= 2) {
        dst[0] = dst[1] = dst[2] = p[0];  // L or LA -> RGB, alpha dropped
      } else {
        dst[0] = p[0];
        dst[1] = p[1];
        dst[2] = p[2];  // RGBA -> RGB, alpha dropped
      }
      dst += 3;
    }
  };

  if (direct || whole) {
    rows.resize(height);
    for (png_uint_32 y = 0; y < height; ++y)
      rows[y] = direct ? img.row(static_cast<int>(y)) : scratch.data() + y * rowbytes;
    png_read_image(png, rows.data());
    if (!direct)
      for (png_uint_32 y = 0; y < height; ++y) convert_row(rows[y], img.row(static_cast<int>(y)));
  } else {
    for (png_uint_32 y = 0; y < height; ++y) {
      png_read_row(png, scratch.data(), nullptr);
      convert_row(scratch.data(), img.row(static_cast<int>(y)));
    }
  }
  png_destroy_read_struct(&png, &info, nullptr);
  return Status::ok();
}

}  // namespace inr::image::detail
