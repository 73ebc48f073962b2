// JPEG decoding with the libjpeg API of libjpeg-turbo.
//
// Why libjpeg and not TurboJPEG: Pillow (JpegDecode.c) drives libjpeg with its default settings (JDCT_ISLOW,
// do_fancy_upsampling), and parity with Pillow + torchvision needs the very same pixels; the libjpeg API
// also gives jpeg_crop_scanline / jpeg_skip_scanlines, which decode only the part of the image that
// survives resize + center crop. libjpeg-turbo guarantees the cropped/skipped decode produces the same
// pixels as the full decode for the rows/columns it returns (tested in tests/image against full decodes).
//
// Errors: libjpeg reports fatal errors through error_exit, which must not return; we longjmp back to
// decode(). Everything allocated between setjmp and longjmp is owned by libjpeg's pools (freed by
// jpeg_abort_decompress) or by C++ objects created before setjmp, so nothing leaks. Warnings (corrupt
// data that libjpeg can step over) are ignored, as Pillow ignores them; running out of data before the EOI
// marker is an error, as in Pillow without LOAD_TRUNCATED_IMAGES ("image file is truncated").
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <string>

// jpeglib.h needs FILE and size_t declared first.
#include <jerror.h>
#include <jpeglib.h>

#include "image/decoders.h"

namespace inr::image::detail {

namespace {

// libjpeg-turbo's own advice against progressive-JPEG denial of service (libjpeg.txt, "progressive
// JPEG ... scans"): refuse files with absurdly many scans. Real encoders write ~10.
constexpr int kMaxScans = 500;

struct ErrorMgr {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void on_error_exit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorMgr*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}
void on_output_message(j_common_ptr) {}  // never print from a library
void on_emit_message(j_common_ptr, int) {}  // warnings ignored (see top of file)

void on_progress(j_common_ptr cinfo) {
  auto* d = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (d->is_decompressor && d->input_scan_number > kMaxScans) {
    auto* err = reinterpret_cast<ErrorMgr*>(cinfo->err);
    std::snprintf(err->message, sizeof(err->message), "more than %d progressive scans", kMaxScans);
    std::longjmp(err->jump, 1);
  }
}

// In-memory source that errors at the end of the data, where jpeg_mem_src would insert a fake EOI and
// return a half-grey image.
void src_init(j_decompress_ptr) {}
boolean src_fill(j_decompress_ptr cinfo) {
  ERREXIT(cinfo, JERR_INPUT_EOF);
  return FALSE;
}
void src_skip(j_decompress_ptr cinfo, long n) {
  if (n <= 0) return;
  jpeg_source_mgr* src = cinfo->src;
  if (static_cast<size_t>(n) > src->bytes_in_buffer) ERREXIT(cinfo, JERR_INPUT_EOF);
  src->next_input_byte += n;
  src->bytes_in_buffer -= static_cast<size_t>(n);
}
void src_term(j_decompress_ptr) {}

}  // namespace

struct JpegDecoder::State {
  jpeg_decompress_struct cinfo;
  ErrorMgr err;
  jpeg_source_mgr src;
  jpeg_progress_mgr progress;
  std::vector<uint8_t> band_row;
  JSAMPROW row_ptrs[8];
};

JpegDecoder::JpegDecoder() : state_(std::make_unique<State>()) {
  State& s = *state_;
  std::memset(&s.cinfo, 0, sizeof(s.cinfo));
  s.cinfo.err = jpeg_std_error(&s.err.pub);
  s.err.pub.error_exit = on_error_exit;
  s.err.pub.output_message = on_output_message;
  s.err.pub.emit_message = on_emit_message;
  // jpeg_create_decompress only fails on out-of-memory; error_exit would longjmp, so arm the jump first.
  if (setjmp(s.err.jump) != 0) {
    jpeg_destroy_decompress(&s.cinfo);
    throw std::bad_alloc();
  }
  jpeg_create_decompress(&s.cinfo);
  s.src.init_source = src_init;
  s.src.fill_input_buffer = src_fill;
  s.src.skip_input_data = src_skip;
  s.src.resync_to_restart = jpeg_resync_to_restart;
  s.src.term_source = src_term;
  s.cinfo.src = &s.src;
  s.progress.progress_monitor = on_progress;
  s.cinfo.progress = &s.progress;
}

JpegDecoder::~JpegDecoder() { jpeg_destroy_decompress(&state_->cinfo); }

Status JpegDecoder::decode(std::span<const uint8_t> bytes, const DecodeOptions& options, RegionPlanner* planner,
                           DecodedRegion& out) {
  State& s = *state_;
  j_decompress_ptr cinfo = &s.cinfo;
  s.src.next_input_byte = bytes.data();
  s.src.bytes_in_buffer = bytes.size();
  // Everything below that can longjmp uses only trivially-destructible locals; C++ objects it touches
  // (out.image, s.band_row) live outside this frame.
  Status limit_status;
  if (setjmp(s.err.jump) != 0) {
    jpeg_abort_decompress(cinfo);
    std::string msg = s.err.message;
    if (!msg.empty()) msg[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(msg[0])));
    return Status::error("JPEG decode failed: " + msg);
  }
  jpeg_save_markers(cinfo, JPEG_APP0 + 1, options.apply_exif_orientation ? 0xffff : 0);
  jpeg_read_header(cinfo, TRUE);

  const int width = static_cast<int>(cinfo->image_width);
  const int height = static_cast<int>(cinfo->image_height);
  limit_status = check_pixel_limit(width, height, options);
  if (!limit_status) {
    jpeg_abort_decompress(cinfo);
    return limit_status;
  }
  out.exif_orientation = 1;
  if (options.apply_exif_orientation) {
    for (jpeg_saved_marker_ptr m = cinfo->marker_list; m != nullptr; m = m->next) {
      if (m->marker == JPEG_APP0 + 1 && m->data_length > 6 && std::memcmp(m->data, "Exif\0\0", 6) == 0) {
        out.exif_orientation = exif_orientation_from_tiff(m->data + 6, m->data_length - 6);
        break;
      }
    }
  }

  // Pillow opens 1- and 3-component JPEGs as L / RGB and 4-component ones as CMYK with rawmode "CMYK;I"
  // (JpegImagePlugin.py: "assume adobe conventions"); libjpeg converts YCCK to CMYK for us.
  const bool cmyk = cinfo->jpeg_color_space == JCS_CMYK || cinfo->jpeg_color_space == JCS_YCCK;
  if (cmyk) {
    cinfo->out_color_space = JCS_CMYK;
  } else if (cinfo->num_components == 1 || cinfo->num_components == 3) {
    cinfo->out_color_space = JCS_RGB;  // grayscale -> R=G=B, exactly Pillow's L -> RGB
  } else {
    jpeg_abort_decompress(cinfo);
    return error("JPEG decode failed: unsupported number of components {}", cinfo->num_components);
  }
  // Pillow's settings (libjpeg defaults), restated so that nothing else can change them.
  cinfo->dct_method = JDCT_ISLOW;
  cinfo->do_fancy_upsampling = TRUE;
  cinfo->scale_num = cinfo->scale_denom = 1;

  Rect want{0, 0, width, height};
  if (planner != nullptr) {
    want = planner->plan(width, height);
    want.x0 = std::max(0, want.x0);
    want.y0 = std::max(0, want.y0);
    want.x1 = std::min(width, want.x1);
    want.y1 = std::min(height, want.y1);
    if (want.x1 <= want.x0 || want.y1 <= want.y0) want = Rect{0, 0, width, height};
  }

  jpeg_start_decompress(cinfo);
  // Column cropping: jpeg_crop_scanline widens the request to iMCU boundaries, and the fancy upsampler
  // treats the edges of the cropped band as image edges, so the outermost columns of the band differ from
  // a full decode (measured on the ImageNet samples). We therefore ask for one extra iMCU on each side and
  // keep only the wanted columns, which are then identical to the full decode. Row skipping
  // (jpeg_skip_scanlines) keeps the upsampler's context rows and is exact as is.
  JDIMENSION xoff = 0, band_w = cinfo->output_width;
  const bool crop_x = want.x0 > 0 || want.x1 < width;
  if (crop_x) {
    const int margin = cinfo->max_h_samp_factor * DCTSIZE;
    const int bx0 = std::max(0, want.x0 - margin), bx1 = std::min(width, want.x1 + margin);
    xoff = static_cast<JDIMENSION>(bx0);
    band_w = static_cast<JDIMENSION>(bx1 - bx0);
    jpeg_crop_scanline(cinfo, &xoff, &band_w);
  } else {
    want.x0 = 0;
    want.x1 = width;
  }
  if (want.y0 > 0) jpeg_skip_scanlines(cinfo, static_cast<JDIMENSION>(want.y0));

  const int rows = want.y1 - want.y0;
  const int keep_w = want.x1 - want.x0;
  const size_t keep_from = static_cast<size_t>(want.x0) - xoff;  // first kept column within the band
  out.full_width = width;
  out.full_height = height;
  out.x0 = want.x0;
  out.y0 = want.y0;
  out.image.width = keep_w;
  out.image.height = rows;
  out.image.pixels.resize(static_cast<size_t>(keep_w) * 3 * static_cast<size_t>(rows));
  const bool direct = !cmyk && !crop_x;  // the band is the kept region: decode straight into the image
  // Several rows per jpeg_read_scanlines call: fewer trips through libjpeg's controllers.
  constexpr int kRowsPerCall = 8;
  const size_t band_stride = static_cast<size_t>(band_w) * (cmyk ? 4 : 3);
  if (!direct) s.band_row.resize(band_stride * kRowsPerCall);

  for (int y = 0; y < rows;) {
    const int want_rows = std::min(kRowsPerCall, rows - y);
    for (int i = 0; i < want_rows; ++i)
      s.row_ptrs[i] = direct ? out.image.row(y + i) : s.band_row.data() + band_stride * static_cast<size_t>(i);
    const int got = static_cast<int>(jpeg_read_scanlines(cinfo, s.row_ptrs, static_cast<JDIMENSION>(want_rows)));
    if (got <= 0) ERREXIT(cinfo, JERR_INPUT_EOF);
    for (int i = 0; i < got && !direct; ++i) {
      uint8_t* band = s.row_ptrs[i];
      if (cmyk) {
        uint8_t* c = band + keep_from * 4;
        for (size_t k = 0; k < static_cast<size_t>(keep_w) * 4; ++k) c[k] = static_cast<uint8_t>(255 - c[k]);
        cmyk_to_rgb_row(c, out.image.row(y + i), keep_w);
      } else {
        std::memcpy(out.image.row(y + i), band + keep_from * 3, static_cast<size_t>(keep_w) * 3);
      }
    }
    y += got;
  }
  // Pillow reads to the EOI marker and refuses a file that ends before it ("image file is truncated"), even
  // when only the last rows or the marker itself are missing. So the rows below the region are skipped (entropy
  // decoding only, no IDCT) and jpeg_finish_decompress reads on to EOI; the source errors at the end of data.
  // jpeg_skip_scanlines to the very bottom marks EOI reached without reading on, so the last row is decoded.
  if (const JDIMENSION left = cinfo->output_height - cinfo->output_scanline; left > 0) {
    if (left > 1) jpeg_skip_scanlines(cinfo, left - 1);
    s.band_row.resize(band_stride);
    s.row_ptrs[0] = s.band_row.data();
    if (jpeg_read_scanlines(cinfo, s.row_ptrs, 1) != 1) ERREXIT(cinfo, JERR_INPUT_EOF);
  }
  jpeg_finish_decompress(cinfo);
  jpeg_abort_decompress(cinfo);  // keeps the object reusable
  return Status::ok();
}

void cmyk_to_rgb_row(const uint8_t* cmyk, uint8_t* rgb, int width) {
  for (int x = 0; x < width; ++x) {
    int nk = 255 - cmyk[3];
    for (int c = 0; c < 3; ++c) {
      int t = cmyk[c] * nk + 128;  // MULDIV255: round(a * b / 255) without a division
      int v = nk - (((t >> 8) + t) >> 8);
      rgb[c] = static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
    }
    cmyk += 4;
    rgb += 3;
  }
}

}  // namespace inr::image::detail
