// The fused preprocessing pipeline. Why it is fast and still exact:
//  - JPEG: only the source rows/columns that the kept crop reads are decoded (jpeg_crop_scanline /
//    jpeg_skip_scanlines, which return the same pixels as a full decode), and decoding stops after the last
//    needed row;
//  - resize computes only the crop window (resample.h explains why that is exact for Pillow's separable
//    passes), with coefficient tables cached per (in size, out size);
//  - normalisation is a 256-entry float lookup per channel, computed with torchvision's float32 formula,
//    fused with the channel reorder and the layout change;
//  - all buffers live in the Preprocessor and are reused.
#include "image/preprocess.h"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>

#include "core/file.h"

namespace inr::image {

namespace {

// Python's round() on x / 2 for an integer x: half to even.
int half_round_even(int x) {
  int q = x / 2;  // x >= 0 here
  if (x % 2 == 0) return q;
  return (q % 2 == 0) ? q : q + 1;
}

// torchvision F.center_crop along one axis (pad first when the crop is larger).
void crop_axis(int size, int crop, int& src, int& dst, int& len) {
  if (crop > size) {
    src = 0;
    dst = (crop - size) / 2;  // torchvision pads (crop - size) // 2 on the left/top
    len = size;
  } else {
    src = half_round_even(size - crop);
    dst = 0;
    len = crop;
  }
}

// Through ReadOnlyFile: a FIFO, socket or device (an image list naming one, or `-i fifo.jpg`) is refused
// with one line instead of blocking in open(2) forever (issue #16); a folder is refused too.
Status read_into(const std::string& path, std::string& buf) {
  INR_ASSIGN_OR_RETURN(ReadOnlyFile file, ReadOnlyFile::open(path));
  buf.resize(static_cast<size_t>(file.size()));
  size_t done = 0;
  while (done < buf.size()) {
    ssize_t n = ::read(file.fd(), buf.data() + done, buf.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return error("{}: read failed: {}", path, std::strerror(errno));
    if (n == 0) break;  // the file shrank since fstat
    done += static_cast<size_t>(n);
  }
  buf.resize(done);
  return Status::ok();
}

// Plans the JPEG region from the image size: the source span of the crop window on each axis.
class CropPlanner : public detail::RegionPlanner {
 public:
  CropPlanner(const PreprocessSpec& spec, CoeffCache& cache) : spec_(spec), cache_(cache) {}
  detail::Rect plan(int width, int height) override {
    if (static_cast<int64_t>(width) * height <= 0) return {0, 0, width, height};
    Geometry g = plan_geometry(spec_, width, height);
    Kernel k = (g.resized_width == width && g.resized_height == height) ? Kernel::kPilBilinear : spec_.interp;
    const CvAlgo algo = cv_algo(k, width, height, g.resized_width, g.resized_height);
    detail::Rect r;
    const AxisCoeffs& h = cache_.get(k, width, g.resized_width, algo, Axis::kHorizontal);
    source_span(h, g.src_x, g.src_x + g.copy_width, r.x0, r.x1);
    const AxisCoeffs& v = cache_.get(k, height, g.resized_height, algo, Axis::kVertical);
    source_span(v, g.src_y, g.src_y + g.copy_height, r.y0, r.y1);
    return r;
  }

 private:
  const PreprocessSpec& spec_;
  CoeffCache& cache_;
};

}  // namespace

Geometry plan_geometry(const PreprocessSpec& spec, int width, int height) {
  Geometry g;
  switch (spec.resize_mode) {
    case ResizeMode::kNone:
      g.resized_width = width;
      g.resized_height = height;
      break;
    case ResizeMode::kExact:
      g.resized_width = spec.resize_width;
      g.resized_height = spec.resize_height;
      break;
    case ResizeMode::kShorterSide: {
      // torchvision _compute_resized_output_size: new_long = int(size * long / short) (float division).
      const int s = spec.resize_shorter;
      if (width <= height) {
        g.resized_width = s;
        g.resized_height = static_cast<int>(static_cast<double>(static_cast<int64_t>(s) * height) / width);
      } else {
        g.resized_height = s;
        g.resized_width = static_cast<int>(static_cast<double>(static_cast<int64_t>(s) * width) / height);
      }
      g.resized_width = std::max(g.resized_width, 1);
      g.resized_height = std::max(g.resized_height, 1);
      break;
    }
  }
  if (spec.crop_width > 0 && spec.crop_height > 0) {
    g.out_width = spec.crop_width;
    g.out_height = spec.crop_height;
    crop_axis(g.resized_width, spec.crop_width, g.src_x, g.dst_x, g.copy_width);
    crop_axis(g.resized_height, spec.crop_height, g.src_y, g.dst_y, g.copy_height);
  } else {
    g.out_width = g.resized_width;
    g.out_height = g.resized_height;
    g.copy_width = g.resized_width;
    g.copy_height = g.resized_height;
  }
  return g;
}

Shape output_shape(const PreprocessSpec& spec, int width, int height) {
  int64_t w = -1, h = -1;
  if (spec.crop_width > 0 && spec.crop_height > 0) {
    w = spec.crop_width, h = spec.crop_height;
  } else if (spec.resize_mode == ResizeMode::kExact) {
    w = spec.resize_width, h = spec.resize_height;
  } else if (width > 0 && height > 0) {
    Geometry g = plan_geometry(spec, width, height);
    w = g.out_width, h = g.out_height;
  }
  if (spec.layout == Layout::kNCHW) return {3, h, w};
  return {h, w, 3};
}

Shape output_shape(const PreprocessSpec& spec) { return output_shape(spec, 0, 0); }

DType output_dtype(const PreprocessSpec& spec) { return spec.output == OutputType::kF32 ? DType::kF32 : DType::kU8; }

Status validate(const PreprocessSpec& s) {
  constexpr int kMaxSide = 1 << 16;  // far above any classifier input; keeps w * h * 3 in range
  if (s.resize_mode == ResizeMode::kShorterSide && (s.resize_shorter <= 0 || s.resize_shorter > kMaxSide))
    return error("resize size {} out of range 1..{}", s.resize_shorter, kMaxSide);
  if (s.resize_mode == ResizeMode::kExact && (s.resize_width <= 0 || s.resize_height <= 0 ||
                                              s.resize_width > kMaxSide || s.resize_height > kMaxSide))
    return error("resize size {}x{} out of range 1..{}", s.resize_width, s.resize_height, kMaxSide);
  if ((s.crop_width > 0) != (s.crop_height > 0) || s.crop_width < 0 || s.crop_height < 0 ||
      s.crop_width > kMaxSide || s.crop_height > kMaxSide)
    return error("crop size {}x{} invalid (both positive, at most {}; or both 0 for no crop)", s.crop_width,
                 s.crop_height, kMaxSide);
  if (!(s.value_range > 0) || !std::isfinite(s.value_range)) return error("value range must be positive");
  for (int c = 0; c < 3; ++c) {
    if (!std::isfinite(s.mean[static_cast<size_t>(c)])) return error("mean[{}] is not finite", c);
    if (!(s.std[static_cast<size_t>(c)] != 0) || !std::isfinite(s.std[static_cast<size_t>(c)]))
      return error("std[{}] must be finite and non-zero", c);
  }
  return Status::ok();
}

Preprocessor::Preprocessor(PreprocessSpec spec, DecodeOptions options) : spec_(spec), options_(options) {
  for (int c = 0; c < 3; ++c) {
    // torchvision: ToTensor divides in float32, Normalize subtracts then divides in float32.
    const float range = static_cast<float>(spec_.value_range);
    const float mean = static_cast<float>(spec_.mean[static_cast<size_t>(c)]);
    const float sd = static_cast<float>(spec_.std[static_cast<size_t>(c)]);
    for (int v = 0; v < 256; ++v) {
      volatile float x = static_cast<float>(v) / range;  // volatile: no contraction into an FMA
      lut_[static_cast<size_t>(c)][static_cast<size_t>(v)] = (x - mean) / sd;
    }
  }
}

Preprocessor::~Preprocessor() = default;

Status Preprocessor::crop(std::span<const uint8_t> bytes, const std::string& name) {
  INR_TRY(validate(spec_).with_context("preprocessing spec"));
  const ImageFormat fmt = detect_format(bytes);
  Status s;
  if (fmt == ImageFormat::kJpeg) {
    CropPlanner planner(spec_, coeffs_);
    // With EXIF orientation applied the crop is planned in rotated coordinates: decode everything.
    s = jpeg_.decode(bytes, options_, options_.apply_exif_orientation ? nullptr : &planner, decoded_);
  } else if (fmt == ImageFormat::kPng) {
    s = detail::decode_png(bytes, options_, decoded_, png_scratch_);
  } else {
    s = bytes.empty() ? error("empty file, not an image") : error("not a JPEG or PNG image (unrecognised signature)");
  }
  if (!s) return s.with_context(name);
  if (options_.apply_exif_orientation && decoded_.exif_orientation != 1) {
    apply_orientation(decoded_.image, decoded_.exif_orientation);
    decoded_.full_width = decoded_.image.width;
    decoded_.full_height = decoded_.image.height;
    decoded_.x0 = decoded_.y0 = 0;
  }
  const int w = decoded_.full_width, h = decoded_.full_height;
  const Geometry g = plan_geometry(spec_, w, h);
  // The output is bounded like the decoded image: a huge --crop, or no crop after a resize of a very long
  // image, would otherwise allocate gigabytes here and in every tensor after it.
  if (const int64_t limit = output_pixel_limit(options_.max_pixels); int64_t{g.out_width} * g.out_height > limit)
    return error("{}: preprocessed output {}x{} ({} pixels) is above the output pixel limit {}", name, g.out_width,
                 g.out_height, int64_t{g.out_width} * g.out_height, limit);
  const Kernel k = (g.resized_width == w && g.resized_height == h) ? Kernel::kPilBilinear : spec_.interp;
  const CvAlgo algo = cv_algo(k, w, h, g.resized_width, g.resized_height);
  crop_.width = g.out_width;
  crop_.height = g.out_height;
  crop_.pixels.resize(static_cast<size_t>(g.out_width) * static_cast<size_t>(g.out_height) * 3);
  if (g.copy_width != g.out_width || g.copy_height != g.out_height)
    std::fill(crop_.pixels.begin(), crop_.pixels.end(), uint8_t{0});
  const AxisCoeffs& hc = coeffs_.get(k, w, g.resized_width, algo, Axis::kHorizontal);
  const AxisCoeffs& vc = coeffs_.get(k, h, g.resized_height, algo, Axis::kVertical);
  SourceView src{decoded_.image.pixels.data(), static_cast<size_t>(decoded_.image.width) * 3, decoded_.x0,
                 decoded_.y0, decoded_.image.width};
  resize_window(src, hc, vc, g.src_x, g.src_x + g.copy_width, g.src_y, g.src_y + g.copy_height, resize_scratch_,
                crop_.row(g.dst_y) + static_cast<size_t>(g.dst_x) * 3, static_cast<size_t>(crop_.width) * 3);
  return Status::ok();
}

void Preprocessor::write_output(void* dst) const {
  const size_t n = static_cast<size_t>(crop_.width) * static_cast<size_t>(crop_.height);
  const uint8_t* px = crop_.pixels.data();
  for (int c = 0; c < 3; ++c) {
    const int sc = spec_.bgr ? 2 - c : c;
    const float* lut = lut_[static_cast<size_t>(c)].data();
    if (spec_.output == OutputType::kF32) {
      float* out = static_cast<float*>(dst);
      if (spec_.layout == Layout::kNCHW) {
        float* o = out + static_cast<size_t>(c) * n;
        for (size_t i = 0; i < n; ++i) o[i] = lut[px[i * 3 + static_cast<size_t>(sc)]];
      } else {
        for (size_t i = 0; i < n; ++i) out[i * 3 + static_cast<size_t>(c)] = lut[px[i * 3 + static_cast<size_t>(sc)]];
      }
    } else {
      uint8_t* out = static_cast<uint8_t*>(dst);
      if (spec_.layout == Layout::kNCHW) {
        uint8_t* o = out + static_cast<size_t>(c) * n;
        for (size_t i = 0; i < n; ++i) o[i] = px[i * 3 + static_cast<size_t>(sc)];
      } else {
        for (size_t i = 0; i < n; ++i) out[i * 3 + static_cast<size_t>(c)] = px[i * 3 + static_cast<size_t>(sc)];
      }
    }
  }
}

Status Preprocessor::run(std::span<const uint8_t> bytes, const std::string& name, void* dst, size_t dst_bytes) {
  const Shape shape = output_shape(spec_);
  if (shape_numel(shape) < 0)
    return error("{}: preset without a crop has an image-dependent output shape; use run_tensor", name);
  const size_t need = dtype_bytes(output_dtype(spec_), shape_numel(shape));
  if (dst_bytes < need) return error("{}: output buffer is {} bytes, {} needed", name, dst_bytes, need);
  INR_TRY(crop(bytes, name));
  write_output(dst);
  return Status::ok();
}

Status Preprocessor::run_file(const std::string& path, void* dst, size_t dst_bytes) {
  INR_TRY(read_into(path, file_buf_));
  return run({reinterpret_cast<const uint8_t*>(file_buf_.data()), file_buf_.size()}, path, dst, dst_bytes);
}

Result<Tensor> Preprocessor::run_tensor(std::span<const uint8_t> bytes, const std::string& name) {
  INR_TRY(crop(bytes, name));
  Tensor t = Tensor::empty(output_dtype(spec_), spec_.layout == Layout::kNCHW
                                                    ? Shape{3, crop_.height, crop_.width}
                                                    : Shape{crop_.height, crop_.width, 3});
  write_output(t.raw());
  return t;
}

Status preprocess_file(const std::string& path, const PreprocessSpec& spec, const DecodeOptions& options, float* dst) {
  if (spec.output != OutputType::kF32) return error("preprocess_file: spec output must be f32");
  Preprocessor p(spec, options);
  const Shape shape = output_shape(spec);
  return p.run_file(path, dst, static_cast<size_t>(std::max<int64_t>(shape_numel(shape), 0)) * sizeof(float));
}

Result<Tensor> preprocess_file_tensor(const std::string& path, const PreprocessSpec& spec,
                                      const DecodeOptions& options) {
  std::string buf;
  INR_TRY(read_into(path, buf));
  Preprocessor p(spec, options);
  return p.run_tensor({reinterpret_cast<const uint8_t*>(buf.data()), buf.size()}, path);
}

Result<Image> preprocess_crop_file(const std::string& path, const PreprocessSpec& spec, const DecodeOptions& options) {
  std::string buf;
  INR_TRY(read_into(path, buf));
  Preprocessor p(spec, options);
  INR_TRY(p.crop({reinterpret_cast<const uint8_t*>(buf.data()), buf.size()}, path));
  return p.last_crop();
}

}  // namespace inr::image
