// PNG encoding into memory with libpng's write callbacks; errors longjmp back (libpng's protocol) and
// the output string, owned outside the jump, is simply discarded.
#include "image/png_write.h"

#include <png.h>

#include <cstdio>
#include <vector>

#include "core/file.h"

namespace inr::image {

namespace {
struct WriteState {
  std::string* out;
  char message[200];
};
void on_error(png_structp png, png_const_charp msg) {
  auto* st = static_cast<WriteState*>(png_get_error_ptr(png));
  std::snprintf(st->message, sizeof(st->message), "%s", msg);
  png_longjmp(png, 1);
}
void on_warning(png_structp, png_const_charp) {}
void on_write(png_structp png, png_bytep data, png_size_t n) {
  static_cast<WriteState*>(png_get_io_ptr(png))->out->append(reinterpret_cast<const char*>(data), n);
}
void on_flush(png_structp) {}
}  // namespace

Result<std::string> encode_png(const Image& img) {
  if (img.width <= 0 || img.height <= 0 || img.pixels.size() != static_cast<size_t>(img.width) * img.height * 3)
    return error("PNG encode: invalid image {}x{}", img.width, img.height);
  std::string out;
  WriteState st{&out, {0}};
  std::vector<png_bytep> rows(static_cast<size_t>(img.height));
  for (int y = 0; y < img.height; ++y) rows[static_cast<size_t>(y)] = const_cast<png_bytep>(img.row(y));
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &st, on_error, on_warning);
  if (png == nullptr) return error("PNG encode: cannot create libpng writer");
  png_infop info = png_create_info_struct(png);
  if (info == nullptr || setjmp(png_jmpbuf(png)) != 0) {
    png_destroy_write_struct(&png, &info);
    return Status::error(std::string("PNG encode failed: ") + st.message);
  }
  png_set_write_fn(png, &st, on_write, on_flush);
  png_set_IHDR(png, info, static_cast<png_uint_32>(img.width), static_cast<png_uint_32>(img.height), 8,
               PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

Status write_png(const std::string& path, const Image& img) {
  auto bytes = encode_png(img);
  if (!bytes) return bytes.status().with_context(path);
  return write_file_atomic(path, *bytes);
}

}  // namespace inr::image
