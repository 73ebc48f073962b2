// Preprocessing: decoded image -> resize -> center crop -> normalise -> layout, as one fused pass.
//
// The formula for output channel c (after the optional RGB->BGR reorder) of pixel value v in 0..255 is
//     out = (v / value_range - mean[c]) / std[c]
// evaluated in float32 in that order, the way torchvision's ToTensor (v / 255) + Normalize do it, so the
// `torchvision` preset reproduces PIL + torchvision exactly. mean/std are given in the units and the
// channel order of the preset's source (e.g. caffe2: BGR, 0..255 units). OutputType::kU8 skips the formula
// and writes the 8-bit crop itself (in the requested channel order and layout).
//
// Geometry follows torchvision: ResizeMode::kShorterSide resizes the shorter side to `resize_shorter` and
// the other to int(resize_shorter * long / short) (transforms.Resize(int)); CenterCrop takes
// round((size - crop) / 2) with Python's round-half-to-even, and pads with zeros (value 0 before
// normalisation) where the crop is larger than the image.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "image/decoders.h"
#include "image/image.h"
#include "image/resample.h"
#include "inr/status.h"
#include "inr/tensor.h"

namespace inr::image {

enum class ResizeMode { kNone, kShorterSide, kExact };
enum class Layout { kNCHW, kNHWC };  // per image: [C,H,W] or [H,W,C]
enum class OutputType { kF32, kU8 };

struct PreprocessSpec {
  ResizeMode resize_mode = ResizeMode::kShorterSide;
  int resize_shorter = 256;  // kShorterSide
  int resize_width = 0;      // kExact
  int resize_height = 0;     // kExact
  Kernel interp = Kernel::kPilBilinear;
  int crop_width = 224;   // 0 with crop_height 0: no crop (output is the resized image)
  int crop_height = 224;
  double value_range = 255.0;  // 255: values in [0, 1] before mean/std; 1: values in 0..255
  std::array<double, 3> mean = {0.485, 0.456, 0.406};
  std::array<double, 3> std = {0.229, 0.224, 0.225};
  bool bgr = false;  // output channel order B, G, R; mean/std are then in BGR order too
  Layout layout = Layout::kNCHW;
  OutputType output = OutputType::kF32;
};

struct PresetInfo {
  std::string_view name;
  std::string_view description;  // one line
  std::string_view source;        // where the numbers come from
  PreprocessSpec spec;
};

// The preset table (presets.cc). Names are unique; `torchvision` is the default.
std::span<const PresetInfo> presets();
inline constexpr std::string_view kDefaultPreset = "torchvision";
Result<PreprocessSpec> preset_spec(std::string_view name);  // accepts aliases
// The preset an alias stands for ("runner-caffe2" -> "caffe2-runner"); other names unchanged.
std::string_view canonical_preset_name(std::string_view name);

// Parsing helpers shared by the CLI flags: "bilinear" / "pil_bilinear" / "cv_linear" ...
Result<Kernel> parse_interp(std::string_view name);
std::string_view interp_name(Kernel k);
Status validate(const PreprocessSpec& spec);  // sizes positive, std non-zero, ...

// Where the crop comes from, for an image of `width` x `height`.
struct Geometry {
  int resized_width = 0, resized_height = 0;  // size after resize (before crop)
  int out_width = 0, out_height = 0;          // size of the output (crop size, or resized size)
  int src_x = 0, src_y = 0;                   // first resized pixel that is copied
  int dst_x = 0, dst_y = 0;                   // where it lands in the output (non-zero only when padding)
  int copy_width = 0, copy_height = 0;        // size of the copied block
};
Geometry plan_geometry(const PreprocessSpec& spec, int width, int height);

// Shape of one preprocessed image: [3, H, W] (NCHW) or [H, W, 3] (NHWC). Dimensions that depend on the
// image (no crop) are -1; the overload with the image size resolves them.
Shape output_shape(const PreprocessSpec& spec);
Shape output_shape(const PreprocessSpec& spec, int width, int height);
DType output_dtype(const PreprocessSpec& spec);

// Reusable preprocessing state for one thread: decoder objects, coefficient tables, scratch buffers and the
// normalisation lookup table. After the first images of a given size, preprocessing allocates nothing.
// Not thread-safe; use one per thread.
class Preprocessor {
 public:
  explicit Preprocessor(PreprocessSpec spec, DecodeOptions options = {});
  ~Preprocessor();
  Preprocessor(const Preprocessor&) = delete;
  Preprocessor& operator=(const Preprocessor&) = delete;

  const PreprocessSpec& spec() const { return spec_; }

  // Decodes and preprocesses the image in `bytes`, writing output_shape(spec) elements of
  // output_dtype(spec) to `dst` (caller memory, `dst_bytes` large). `name` prefixes error messages.
  // Requires a crop size (fixed output shape); use run_image for presets without one.
  Status run(std::span<const uint8_t> bytes, const std::string& name, void* dst, size_t dst_bytes);
  Status run_file(const std::string& path, void* dst, size_t dst_bytes);

  // Same pipeline; the output tensor is allocated to the image's shape. Works for every spec.
  Result<Tensor> run_tensor(std::span<const uint8_t> bytes, const std::string& name);

  // Decodes, resizes and crops only; the result is last_crop().
  Status crop(std::span<const uint8_t> bytes, const std::string& name);

  // The 8-bit RGB HWC crop of the last successful run (before normalisation, channel order RGB).
  const Image& last_crop() const { return crop_; }

 private:
  void write_output(void* dst) const;

  PreprocessSpec spec_;
  DecodeOptions options_;
  std::array<std::array<float, 256>, 3> lut_{};  // per output channel
  detail::JpegDecoder jpeg_;
  detail::DecodedRegion decoded_;
  std::vector<uint8_t> png_scratch_;
  std::string file_buf_;
  CoeffCache coeffs_;
  ResizeScratch resize_scratch_;
  Image crop_;
};

// One-shot conveniences (allocate a Preprocessor each call; use Preprocessor or BatchLoader in loops).
Status preprocess_file(const std::string& path, const PreprocessSpec& spec, const DecodeOptions& options, float* dst);
Result<Tensor> preprocess_file_tensor(const std::string& path, const PreprocessSpec& spec,
                                      const DecodeOptions& options);
// The 8-bit RGB crop (what `inr preprocess -o x.png` writes).
Result<Image> preprocess_crop_file(const std::string& path, const PreprocessSpec& spec, const DecodeOptions& options);

}  // namespace inr::image
