// Parity of the OpenCV kernels (cv_linear, cv_cubic, cv_area) and of the `caffe2` preset with OpenCV itself:
// Debian's python3-opencv (cv2.resize), run at test time by tests/image/cv2_oracle.py on the pixels inr
// decoded, so that only resizing, cropping and normalisation are compared. The standard is pixel-exact:
// max |difference| 0 on every uint8 value and bit-identical float32 tensors.
//
// Images: the staged photos, the decodable edge images (gray, 1x1, 3x500, 1000x120, CMYK, ...), the three
// grayscale imagenet/samples images and the first imagenet/samples and imagenet/val files. Sizes per image:
// the shorter side to 256 (whole image, and the 224 center crop computed as a window), 224x224, exact 1/2,
// 1/3 and 1/4 (OpenCV's integer-factor INTER_AREA, and INTER_LINEAR at 1/2 x 1/2 which OpenCV runs as
// INTER_AREA), 1/2 x 1/4, growing, growing one axis while shrinking the other, and one axis unchanged.
//
// Without python3-opencv (scripts/install-deps.sh installs it) these tests are skipped with that reason;
// any other failure of the oracle fails them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "core/npy.h"
#include "image/preprocess.h"
#include "image_test_util.h"

namespace inr::image {
namespace {

namespace fs = std::filesystem;
using inr::test::data_dir;
using inr::test::has_data;

constexpr char kPython[] = "/usr/bin/python3";
constexpr int64_t kMaxPixels = int64_t{1} << 21;  // sizes above this are left out (the 3x500 image's 256 x 42666)
constexpr int kFirstSamples = 10;
constexpr int kFirstVal = 10;

std::vector<std::string> sorted_files(const std::string& dir) {
  std::vector<std::string> v;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file()) v.push_back(e.path().string());
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<std::string> parity_images() {
  const std::string d = data_dir();
  std::vector<std::string> v = sorted_files(d + "/images");
  for (const std::string& f : sorted_files(d + "/images/edge")) v.push_back(f);  // undecodable ones drop out below
  for (const char* gray : {"n02692877_airship", "n03908714_pencil_sharpener", "n04254680_soccer_ball"})
    v.push_back(d + "/imagenet/samples/" + gray + ".JPEG");
  std::vector<std::string> samples = sorted_files(d + "/imagenet/samples");
  std::vector<std::string> val = sorted_files(d + "/imagenet/val");
  for (int i = 0; i < kFirstSamples && i < static_cast<int>(samples.size()); ++i) v.push_back(samples[i]);
  for (int i = 0; i < kFirstVal && i < static_cast<int>(val.size()); ++i) v.push_back(val[i]);
  return v;
}

struct Size2 {
  int w, h;
};

// The exact output sizes tried for an image of w x h (see the file comment).
std::vector<Size2> exact_sizes(int w, int h) {
  auto at_least_1 = [](int x) { return std::max(x, 1); };
  std::vector<Size2> s = {{224, 224},
                          {at_least_1(w / 2), at_least_1(h / 2)},
                          {at_least_1(w / 3), at_least_1(h / 3)},
                          {w * 5 / 3 + 1, h * 4 / 3 + 1},
                          {w * 3 / 2 + 1, at_least_1(h * 2 / 3)},
                          {w, at_least_1(h * 3 / 4)}};
  if (w % 4 == 0 && h % 4 == 0) s.push_back({w / 4, h / 4});
  if (w % 2 == 0 && h % 4 == 0) s.push_back({w / 2, h / 4});
  std::vector<Size2> kept;
  for (Size2 z : s)
    if (int64_t{z.w} * z.h <= kMaxPixels) kept.push_back(z);
  return kept;
}

const std::pair<Kernel, const char*> kKernels[] = {
    {Kernel::kCvLinear, "linear"}, {Kernel::kCvCubic, "cubic"}, {Kernel::kCvArea, "area"}};

// One resize to compare: the image, the kernel, the output size. A shorter-side-256 resize is also compared
// as its center crop 224, which inr computes as a window of the resize (only the kept pixels).
struct ResizeJob {
  std::string image;
  int src_w, src_h;
  Kernel kernel;
  ResizeMode mode;
  Size2 size;
  std::string cv_out;
};

struct Oracle {
  bool skip = false;
  std::string skip_reason;
  std::string error;  // non-empty: the oracle failed (a test failure, not a skip)
  std::vector<std::string> images;  // decodable ones
  std::vector<ResizeJob> resizes;
  std::map<std::string, std::string> caffe2_out;       // image -> oracle output (from inr's pixels)
  std::map<std::string, std::string> caffe2_file_out;  // photo -> oracle output (decoded by cv2.imread)
};

std::string q(const std::string& s) { return "'" + s + "'"; }

// What one test asks the oracle for: the resizes of one kernel, or the caffe2 preset restatements. (Each
// test runs in its own process under CTest; asking for everything would write ~300 MB per process.)
enum class Want { kLinear, kCubic, kArea, kCaffe2 };

Oracle run_oracle(Want want) {
  Oracle o;
  if (!has_data()) {
    o.skip = true, o.skip_reason = "shared data not found (set INR_DATA_DIR)";
    return o;
  }
  if (inr::test::run_shell(std::string(kPython) + " -c 'import cv2, numpy'").exit_code != 0) {
    o.skip = true;
    o.skip_reason = std::string(kPython) + " cannot import cv2: install python3-opencv (scripts/install-deps.sh)";
    return o;
  }
  const std::string dir = inr::test::temp_dir("cv_parity_" + std::to_string(static_cast<int>(want)));
  std::ofstream jobs(dir + "/jobs.tsv");
  int n = 0;
  for (const std::string& path : parity_images()) {
    auto img = decode_file(path);
    if (!img.is_ok()) continue;  // the broken edge files
    const std::string in = dir + "/in" + std::to_string(n) + ".npy";
    Tensor t = Tensor::empty(DType::kU8, {img->height, img->width, 3});
    std::memcpy(t.raw(), img->pixels.data(), img->pixels.size());
    if (Status s = write_npy(in, t); !s) {
      o.error = s.message();
      return o;
    }
    o.images.push_back(path);
    const int index = n++;
    if (want != Want::kCaffe2) {
      const auto& [kernel, name] = kKernels[static_cast<int>(want)];
      PreprocessSpec shorter = preset_spec("caffe2").value();
      const Geometry g = plan_geometry(shorter, img->width, img->height);
      std::vector<std::pair<ResizeMode, Size2>> sizes;
      if (int64_t{g.resized_width} * g.resized_height <= kMaxPixels)
        sizes.push_back({ResizeMode::kShorterSide, {g.resized_width, g.resized_height}});
      for (Size2 z : exact_sizes(img->width, img->height)) sizes.push_back({ResizeMode::kExact, z});
      int m = 0;
      for (const auto& [mode, z] : sizes) {
        const std::string out = dir + "/out" + std::to_string(index) + "_" + std::to_string(m++) + ".npy";
        jobs << "resize\t" << in << '\t' << out << '\t' << name << '\t' << z.w << '\t' << z.h << '\n';
        o.resizes.push_back({path, img->width, img->height, kernel, mode, z, out});
      }
      continue;
    }
    const std::string c2 = dir + "/caffe2_" + std::to_string(index) + ".npy";
    jobs << "caffe2\t" << in << '\t' << c2 << '\n';
    o.caffe2_out[path] = c2;
    if (path.find("/edge/") == std::string::npos) {  // plain photos: the whole pipeline, decoding included
      const std::string cf = dir + "/caffe2_file_" + std::to_string(index) + ".npy";
      jobs << "caffe2_file\t" << path << '\t' << cf << '\n';
      o.caffe2_file_out[path] = cf;
    }
  }
  jobs.close();
  auto r = inr::test::run_shell(std::string(kPython) + " " + q(inr::test::source_dir() + "/tests/image/cv2_oracle.py") + " " +
                           q(dir + "/jobs.tsv"));
  if (r.exit_code != 0) o.error = "cv2_oracle.py failed (exit " + std::to_string(r.exit_code) + "): " + r.err;
  return o;
}

const Oracle& oracle(Want want) {
  static std::map<Want, Oracle> done;
  auto it = done.find(want);
  if (it == done.end()) it = done.emplace(want, run_oracle(want)).first;
  return it->second;
}

#define REQUIRE_ORACLE(want)                         \
  const Oracle& o = oracle(want);                    \
  if (o.skip) GTEST_SKIP() << o.skip_reason;         \
  ASSERT_TRUE(o.error.empty()) << o.error;           \
  ASSERT_GE(o.images.size(), 30u) << "images found"

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct Tally {
  int resizes = 0;
  int64_t values = 0, differing = 0;
  int max_diff = 0;
};

// Adds a's comparison with b (same shape, uint8) to t; returns the largest difference and sets first_diff to
// the first differing value's index (-1 when identical).
int compare_u8(const Tensor& a, const Tensor& b, Tally& t, int& first_diff) {
  first_diff = -1;
  int worst = 0;
  const uint8_t* x = a.data<uint8_t>();
  const uint8_t* y = b.data<uint8_t>();
  for (int64_t i = 0; i < b.numel(); ++i) {
    const int d = std::abs(int{x[i]} - int{y[i]});
    if (d != 0 && first_diff < 0) first_diff = static_cast<int>(i);
    t.differing += d != 0;
    worst = std::max(worst, d);
  }
  t.values += b.numel();
  return worst;
}

// Compares inr's resize (and its 224 center-crop window for shorter-side jobs) of every job of `kernel`.
Tally check_kernel(const Oracle& o, Kernel kernel) {
  Tally t;
  for (const ResizeJob& j : o.resizes) {
    if (j.kernel != kernel) continue;
    auto want = read_npy(j.cv_out);
    fs::remove(j.cv_out);  // read once: keep the temporary files small
    EXPECT_TRUE(want.is_ok()) << want.status().message();
    if (!want.is_ok()) continue;
    EXPECT_EQ(want->shape(), (Shape{j.size.h, j.size.w, 3})) << j.image;
    PreprocessSpec spec = preset_spec("none").value();
    spec.interp = kernel;
    spec.output = OutputType::kU8;
    spec.layout = Layout::kNHWC;
    spec.resize_mode = ResizeMode::kExact;
    spec.resize_width = j.size.w;
    spec.resize_height = j.size.h;
    const std::string bytes = read_all(j.image);
    const std::span<const uint8_t> data(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    Preprocessor whole(spec);
    auto got = whole.run_tensor(data, j.image);
    EXPECT_TRUE(got.is_ok()) << got.status().message();
    if (!got.is_ok() || got->shape() != want->shape()) continue;
    int first_diff = -1;
    t.max_diff = std::max(t.max_diff, compare_u8(*got, *want, t, first_diff));
    ++t.resizes;
    EXPECT_EQ(first_diff, -1) << j.image << " -> " << j.size.w << "x" << j.size.h << " " << interp_name(kernel)
                            << ": differs first at pixel (" << first_diff / 3 % j.size.w << ", "
                            << first_diff / 3 / j.size.w << ") channel " << first_diff % 3;
    if (j.mode != ResizeMode::kShorterSide) continue;
    // The 224 center crop of the same resize, computed by inr as a window (only the kept pixels), against
    // the same crop of OpenCV's whole resize.
    spec.resize_mode = ResizeMode::kShorterSide;
    spec.resize_shorter = 256;
    spec.crop_width = spec.crop_height = 224;
    const Geometry geo = plan_geometry(spec, j.src_w, j.src_h);
    EXPECT_EQ(geo.resized_width, j.size.w);
    EXPECT_EQ(geo.resized_height, j.size.h);
    Preprocessor windowed(spec);
    auto crop = windowed.run_tensor(data, j.image);
    EXPECT_TRUE(crop.is_ok()) << crop.status().message();
    if (!crop.is_ok()) continue;
    Tensor want_crop = Tensor::empty(DType::kU8, {224, 224, 3});
    for (int y = 0; y < 224; ++y)
      std::memcpy(want_crop.data<uint8_t>() + static_cast<size_t>(y) * 224 * 3,
                  want->data<uint8_t>() + (static_cast<size_t>(geo.src_y + y) * j.size.w + geo.src_x) * 3, 224 * 3);
    t.max_diff = std::max(t.max_diff, compare_u8(*crop, want_crop, t, first_diff));
    ++t.resizes;
    EXPECT_EQ(first_diff, -1) << j.image << " crop 224 of " << j.size.w << "x" << j.size.h << " "
                            << interp_name(kernel) << ": differs first at value " << first_diff;
  }
  return t;
}

void report(const char* what, const Tally& t, int images) {
  std::printf("%s vs cv2.resize: %d images, %d resizes, %lld values, %lld differ, max diff %d\n", what, images,
              t.resizes, static_cast<long long>(t.values), static_cast<long long>(t.differing), t.max_diff);
  ::testing::Test::RecordProperty("max_diff", t.max_diff);
  ::testing::Test::RecordProperty("values", std::to_string(t.values));
}

TEST(CvParity, LinearMatchesOpenCvPixelForPixel) {
  REQUIRE_ORACLE(Want::kLinear);
  Tally t = check_kernel(o, Kernel::kCvLinear);
  report("cv_linear (INTER_LINEAR)", t, static_cast<int>(o.images.size()));
  EXPECT_EQ(t.max_diff, 0);
  EXPECT_GE(t.resizes, 200);
}

TEST(CvParity, CubicMatchesOpenCvPixelForPixel) {
  REQUIRE_ORACLE(Want::kCubic);
  Tally t = check_kernel(o, Kernel::kCvCubic);
  report("cv_cubic (INTER_CUBIC)", t, static_cast<int>(o.images.size()));
  EXPECT_EQ(t.max_diff, 0);
  EXPECT_GE(t.resizes, 200);
}

TEST(CvParity, AreaMatchesOpenCvPixelForPixel) {
  REQUIRE_ORACLE(Want::kArea);
  Tally t = check_kernel(o, Kernel::kCvArea);
  report("cv_area (INTER_AREA)", t, static_cast<int>(o.images.size()));
  EXPECT_EQ(t.max_diff, 0);
  EXPECT_GE(t.resizes, 200);
}

// Runs the caffe2 preset on every image of `outputs` and compares the float32 tensors bit for bit.
void check_caffe2(const std::map<std::string, std::string>& outputs, const char* what) {
  Preprocessor pre(preset_spec("caffe2").value());
  std::vector<float> got(3 * 224 * 224);
  int64_t values = 0, identical = 0;
  double max_abs = 0;
  for (const auto& [image, out] : outputs) {
    auto want = read_npy(out);
    ASSERT_TRUE(want.is_ok()) << want.status().message();
    ASSERT_EQ(want->dtype(), DType::kF32);
    ASSERT_EQ(want->shape(), (Shape{3, 224, 224}));
    ASSERT_TRUE(pre.run_file(image, got.data(), got.size() * sizeof(float)).is_ok()) << image;
    const float* w = want->data<float>();
    int64_t first_diff = -1;
    for (size_t i = 0; i < got.size(); ++i) {
      const bool same = std::memcmp(&got[i], &w[i], sizeof(float)) == 0;
      identical += same;
      if (!same && first_diff < 0) first_diff = static_cast<int64_t>(i);
      max_abs = std::max(max_abs, static_cast<double>(std::abs(got[i] - w[i])));
    }
    values += static_cast<int64_t>(got.size());
    EXPECT_EQ(first_diff, -1) << image << ": first differing value " << first_diff;
  }
  std::printf("caffe2 preset vs %s: %zu images, %lld values, %lld bit-identical, max |diff| %g\n", what,
              outputs.size(), static_cast<long long>(values), static_cast<long long>(identical), max_abs);
  ::testing::Test::RecordProperty("max_abs_diff", std::to_string(max_abs));
  EXPECT_EQ(identical, values);
}

// The `caffe2` preset after decoding: resize, crop, BGR, (x - mean) / std, NCHW float32, bit for bit.
TEST(CvParity, Caffe2PresetMatchesOpenCvRestatement) {
  REQUIRE_ORACLE(Want::kCaffe2);
  check_caffe2(o.caffe2_out, "cv2 + numpy on the same pixels");
}

// The same from the file: cv2.imread's decoding (libjpeg-turbo, libpng) included, on the plain photos.
TEST(CvParity, Caffe2PresetMatchesOpenCvPipelineFromFile) {
  REQUIRE_ORACLE(Want::kCaffe2);
  ASSERT_GE(o.caffe2_file_out.size(), 25u);
  check_caffe2(o.caffe2_file_out, "cv2.imread + cv2 + numpy");
}

}  // namespace
}  // namespace inr::image
