#include "preprocess_flags.h"

#include <charconv>
#include <cstdio>

namespace inr::cli {

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

void add_preprocess_flags(CLI::App* app, PreprocessFlags& f) {
  std::string names;
  for (const image::PresetInfo& p : image::presets()) names += (names.empty() ? "" : "|") + std::string(p.name);
  app->add_option("-p,--preset", f.preset, "Preprocessing preset (" + names + "); see `inr list presets`")
      ->capture_default_str();
  app->add_option("--resize", f.resize, "Override resize: N (shorter side), WxH (exact) or none");
  app->add_option("--crop", f.crop, "Override center crop: N, WxH or none");
  app->add_option("--mean", f.mean, "Override mean: 1 or 3 values, in the preset's units and channel order")
      ->expected(1, 3)
      ->delimiter(',');
  app->add_option("--std", f.std, "Override std: 1 or 3 values, in the preset's units and channel order")
      ->expected(1, 3)
      ->delimiter(',');
  app->add_flag("--bgr", f.bgr, "Output channels in BGR order");
  app->add_flag("--rgb", f.rgb, "Output channels in RGB order");
  app->add_option("--interp", f.interp,
                  "Override interpolation: pil_bilinear|pil_bicubic|pil_lanczos|cv_linear|cv_cubic|cv_area");
  app->add_option("--layout", f.layout, "Override layout: nchw|nhwc");
  app->add_flag("--exif-orientation", f.exif_orientation, "Apply the EXIF orientation tag (ignored by default)");
  app->add_option("--max-pixels", f.max_pixels, "Refuse images with more pixels than this")->capture_default_str();
}

Result<image::PreprocessSpec> resolve(const PreprocessFlags& f) {
  INR_ASSIGN_OR_RETURN(image::PreprocessSpec s, image::preset_spec(f.preset));
  // ucb-bar's runner also has a `-p caffe2`, with another pipeline: say so where a runner user would
  // otherwise get other numbers without a word.
  if (f.preset == "caffe2")
    std::fprintf(stderr,
                 "inr: note: -p caffe2 is the Caffe2 model card's pipeline (resize 256, crop 224, (x - mean) / std); "
                 "ucb-bar's imagenet runner's -p caffe2 is -p runner-caffe2 (= caffe2-runner)\n");
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
  INR_TRY(image::validate(s));
  return s;
}

image::DecodeOptions decode_options(const PreprocessFlags& f) {
  image::DecodeOptions o;
  o.apply_exif_orientation = f.exif_orientation;
  o.max_pixels = f.max_pixels;
  return o;
}

}  // namespace inr::cli
