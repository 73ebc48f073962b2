#include "preprocess_flags.h"

#include <charconv>
#include <cstdio>

namespace inr::cli {

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
  // The preprocessing flags together (--resize/--crop syntax, the crop's pixel bound under --max-pixels,
  // --bgr with --rgb, ...) are a command-line mistake when wrong: exit 2 from the parse, before any work,
  // like every other flag error (README "Every user error is one line"). Runs after CLI11 stored the values.
  app->final_callback([&f] {
    auto spec = resolve_preprocess(f);
    if (!spec) throw CLI::ValidationError(spec.status().message());
  });
}

void note_preset(const PreprocessFlags& f) {
  // ucb-bar's runner also has a `-p caffe2`, with another pipeline: say so where a runner user would
  // otherwise get other numbers without a word.
  if (f.preset == "caffe2")
    std::fprintf(stderr,
                 "inr: note: -p caffe2 is the Caffe2 model card's pipeline (resize 256, crop 224, (x - mean) / std); "
                 "ucb-bar's imagenet runner's -p caffe2 is -p runner-caffe2 (= caffe2-runner)\n");
}

Result<image::PreprocessSpec> resolve(const PreprocessFlags& f) {
  note_preset(f);
  return resolve_preprocess(f);
}

}  // namespace inr::cli
