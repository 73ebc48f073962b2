#include "drivers/preprocess_options.h"

#include <charconv>

namespace inr {

static_assert(kDefaultMaxPixels == image::kDefaultMaxPixels, "inr/preprocess_options.h default");

namespace {

Result<int> parse_int(const std::string& s, const char* what) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v <= 0) return error("--{}: '{}' is not a positive integer", what, s);
  return v;
}

// "N" or "WxH"; sets w = h = N for the single form.
Status parse_size(const std::string& s, const char* what, int& w, int& h, bool& single) {
  size_t x = s.find('x');
  single = x == std::string::npos;
  if (single) {
    INR_ASSIGN_OR_RETURN(w, parse_int(s, what));
    h = w;
    return Status::ok();
  }
  INR_ASSIGN_OR_RETURN(w, parse_int(s.substr(0, x), what));
  INR_ASSIGN_OR_RETURN(h, parse_int(s.substr(x + 1), what));
  return Status::ok();
}

Status per_channel(const std::vector<double>& v, const char* what, std::array<double, 3>& out) {
  if (v.empty()) return Status::ok();
  if (v.size() == 1) {
    out = {v[0], v[0], v[0]};
  } else if (v.size() == 3) {
    out = {v[0], v[1], v[2]};
  } else {
    return error("--{}: expected 1 or 3 values, got {}", what, v.size());
  }
  return Status::ok();
}

}  // namespace

Result<image::PreprocessSpec> resolve_preprocess(const PreprocessOptions& f) {
  INR_ASSIGN_OR_RETURN(image::PreprocessSpec s, image::preset_spec(f.preset));
  if (!f.resize.empty()) {
    if (f.resize == "none") {
      s.resize_mode = image::ResizeMode::kNone;
    } else {
      int w = 0, h = 0;
      bool single = false;
      INR_TRY(parse_size(f.resize, "resize", w, h, single));
      if (single) {
        s.resize_mode = image::ResizeMode::kShorterSide;
        s.resize_shorter = w;
      } else {
        s.resize_mode = image::ResizeMode::kExact;
        s.resize_width = w;
        s.resize_height = h;
      }
    }
  }
  if (!f.crop.empty()) {
    if (f.crop == "none") {
      s.crop_width = s.crop_height = 0;
    } else {
      bool single = false;
      INR_TRY(parse_size(f.crop, "crop", s.crop_width, s.crop_height, single));
    }
  }
  INR_TRY(per_channel(f.mean, "mean", s.mean));
  INR_TRY(per_channel(f.std, "std", s.std));
  if (f.bgr && f.rgb) return error("--bgr and --rgb are mutually exclusive");
  if (f.bgr) s.bgr = true;
  if (f.rgb) s.bgr = false;
  if (!f.interp.empty()) {
    INR_ASSIGN_OR_RETURN(s.interp, image::parse_interp(f.interp));
  }
  if (!f.layout.empty()) {
    if (f.layout == "nchw") {
      s.layout = image::Layout::kNCHW;
    } else if (f.layout == "nhwc") {
      s.layout = image::Layout::kNHWC;
    } else {
      return error("--layout: '{}' is not nchw or nhwc", f.layout);
    }
  }
  if (f.max_pixels <= 0) return error("--max-pixels must be positive");
  if (const int64_t limit = image::output_pixel_limit(f.max_pixels); int64_t{s.crop_width} * s.crop_height > limit)
    return error("--crop {}x{} is {} pixels, above the output pixel limit {} (Pillow's MAX_IMAGE_PIXELS, or "
                 "--max-pixels if lower)", s.crop_width, s.crop_height, int64_t{s.crop_width} * s.crop_height, limit);
  INR_TRY(image::validate(s));
  return s;
}

image::DecodeOptions decode_options(const PreprocessOptions& f) {
  image::DecodeOptions o;
  o.apply_exif_orientation = f.exif_orientation;
  o.max_pixels = f.max_pixels;
  return o;
}

}  // namespace inr
