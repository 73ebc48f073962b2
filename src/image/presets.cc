// The preset table: one entry per preprocessing convention, each citing where its numbers come from.
// Where two sources use one name for different pipelines, both are kept under distinct names.
#include <string>

#include <fmt/format.h>

#include "image/preprocess.h"

namespace inr::image {

namespace {

PreprocessSpec make(ResizeMode mode, int shorter, Kernel k, int crop, double range, std::array<double, 3> mean,
                    std::array<double, 3> sd, bool bgr) {
  PreprocessSpec s;
  s.resize_mode = mode;
  s.resize_shorter = shorter;
  s.interp = k;
  s.crop_width = s.crop_height = crop;
  s.value_range = range;
  s.mean = mean;
  s.std = sd;
  s.bgr = bgr;
  return s;
}

const PresetInfo kPresets[] = {
    // torchvision reference ImageNet evaluation (pytorch/vision references/classification/presets.py,
    // ClassificationPresetEval; torchvision.models weights transforms): Resize(256) bilinear with Pillow's
    // antialiasing, CenterCrop(224), ToTensor, Normalize(mean, std). RGB.
    {"torchvision", "Resize 256 (Pillow bilinear) + center crop 224, RGB, ImageNet mean/std",
     "pytorch/vision references/classification/presets.py (ClassificationPresetEval)",
     make(ResizeMode::kShorterSide, 256, Kernel::kPilBilinear, 224, 255.0, {0.485, 0.456, 0.406},
          {0.229, 0.224, 0.225}, false)},
    // Caffe2 ResNet50 model card (ONNX model zoo / Caffe2 model zoo, as quoted in issue #3): scale the
    // shorter side to 256, center crop 224, BGR, mean (0.406, 0.456, 0.485) * 255, std (0.225, 0.224,
    // 0.229) * 255 in BGR order. The card does not name the resampler; Caffe2's image loaders use OpenCV,
    // so INTER_LINEAR.
    {"caffe2", "Resize 256 (OpenCV linear) + center crop 224, BGR, (x - 255*mean) / (255*std)",
     "Caffe2 ResNet50 model card",
     make(ResizeMode::kShorterSide, 256, Kernel::kCvLinear, 224, 1.0, {0.406 * 255, 0.456 * 255, 0.485 * 255},
          {0.225 * 255, 0.224 * 255, 0.229 * 255}, true)},
    // ucb-bar/onnxruntime-riscv systolic_runner/imagenet_runner/src/runner.cpp, `-p caffe2`: the runner
    // reads a 224x224 image as is (stb_image, no resize, no crop) into BGR planes minus
    // (103.939, 116.779, 123.68). We do not resize either and take the center 224x224 (the identity on the
    // 224x224 inputs the runner accepts). Differs from `caffe2`: no resize, mean-only, different means.
    {"caffe2-runner", "No resize, center crop 224, BGR, x - (103.939, 116.779, 123.68)",
     "ucb-bar/onnxruntime-riscv systolic_runner/imagenet_runner runner.cpp (-p caffe2)",
     make(ResizeMode::kNone, 0, Kernel::kPilBilinear, 224, 1.0, {103.939, 116.779, 123.68}, {1.0, 1.0, 1.0}, true)},
    // Same runner, `-p caffe`: (x - (103.94, 116.78, 123.68)) * 0.017 in BGR; 0.017 ~ 1/58.8 is written as
    // std = 1 / 0.017.
    {"caffe", "No resize, center crop 224, BGR, (x - (103.94, 116.78, 123.68)) * 0.017",
     "ucb-bar/onnxruntime-riscv systolic_runner/imagenet_runner runner.cpp (-p caffe)",
     make(ResizeMode::kNone, 0, Kernel::kPilBilinear, 224, 1.0, {103.94, 116.78, 123.68},
          {1 / 0.017, 1 / 0.017, 1 / 0.017}, true)},
    // Same runner, `-p mxnet`: (x / 255 - mean) / std with the ImageNet constants reordered to BGR.
    {"mxnet", "No resize, center crop 224, BGR, (x/255 - (0.406, 0.456, 0.485)) / (0.225, 0.224, 0.229)",
     "ucb-bar/onnxruntime-riscv systolic_runner/imagenet_runner runner.cpp (-p mxnet)",
     make(ResizeMode::kNone, 0, Kernel::kPilBilinear, 224, 255.0, {0.406, 0.456, 0.485}, {0.225, 0.224, 0.229},
          true)},
    // Inception v3 evaluation: crop fraction 0.875 of a 342 resize to 299 (pytorch/vision
    // references/classification, --val-resize-size 342 --val-crop-size 299 for inception_v3) and
    // values scaled to [-1, 1] as in TF-slim inception_preprocessing.py / Keras
    // applications.inception_v3.preprocess_input ("tf" mode: x / 127.5 - 1 = (x/255 - 0.5) / 0.5). RGB.
    {"inception", "Resize 342 (Pillow bilinear) + center crop 299, RGB, scaled to [-1, 1]",
     "pytorch/vision inception_v3 eval sizes; Keras inception_v3.preprocess_input (tf mode)",
     make(ResizeMode::kShorterSide, 342, Kernel::kPilBilinear, 299, 255.0, {0.5, 0.5, 0.5}, {0.5, 0.5, 0.5}, false)},
    // The tensor as decoded: no resize, no crop, values 0..255 as float, RGB, NCHW.
    {"none", "No resize, no crop, RGB values 0..255 as decoded", "inr (identity)",
     make(ResizeMode::kNone, 0, Kernel::kPilBilinear, 0, 1.0, {0, 0, 0}, {1, 1, 1}, false)},
};

struct InterpName {
  Kernel k;
  std::string_view name;
  std::string_view alias;
};
constexpr InterpName kInterpNames[] = {
    {Kernel::kPilBilinear, "pil_bilinear", "bilinear"}, {Kernel::kPilBicubic, "pil_bicubic", "bicubic"},
    {Kernel::kPilLanczos, "pil_lanczos", "lanczos"},    {Kernel::kCvLinear, "cv_linear", "linear"},
    {Kernel::kCvCubic, "cv_cubic", "cubic"},            {Kernel::kCvArea, "cv_area", "area"},
};

}  // namespace

std::span<const PresetInfo> presets() { return kPresets; }

namespace {

// Other names for a preset. `runner-caffe2` is what ucb-bar's imagenet runner calls `-p caffe2`; inr's own
// `caffe2` is the Caffe2 model card's pipeline (kept: it is what the zoo's Caffe2 models were trained with).
struct PresetAlias {
  std::string_view alias, name;
};
constexpr PresetAlias kPresetAliases[] = {{"runner-caffe2", "caffe2-runner"}};

}  // namespace

std::string_view canonical_preset_name(std::string_view name) {
  for (const PresetAlias& a : kPresetAliases)
    if (a.alias == name) return a.name;
  return name;
}

Result<PreprocessSpec> preset_spec(std::string_view name) {
  name = canonical_preset_name(name);
  std::string known;
  for (const PresetInfo& p : kPresets) {
    if (p.name == name) return p.spec;
    known += known.empty() ? "" : ", ";
    known += p.name;
  }
  for (const PresetAlias& a : kPresetAliases) known += fmt::format(", {} (= {})", a.alias, a.name);
  return error("unknown preprocessing preset '{}' (known: {})", name, known);
}

Result<Kernel> parse_interp(std::string_view name) {
  std::string known;
  for (const InterpName& n : kInterpNames) {
    if (n.name == name || n.alias == name) return n.k;
    known += known.empty() ? "" : ", ";
    known += n.name;
  }
  return error("unknown interpolation '{}' (known: {})", name, known);
}

std::string_view interp_name(Kernel k) {
  for (const InterpName& n : kInterpNames)
    if (n.k == k) return n.name;
  return "?";
}

}  // namespace inr::image
