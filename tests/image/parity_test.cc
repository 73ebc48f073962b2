// Parity with PIL + torchvision (the `torchvision` preset) on every row of reference/preproc_torchvision.tsv,
// and of the final normalised tensors with reference/photos_input_f32_nchw.bin.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "core/file.h"
#include "image/preprocess.h"
#include "image_test_util.h"

namespace inr::image {
namespace {

using inr::test::data_dir;
using inr::test::has_data;

TEST(ImageParity, TorchvisionCropsMatchPillowOnEveryReferenceRow) {
  if (!has_data()) GTEST_SKIP() << "shared data not found (set INR_DATA_DIR)";
  auto rows = test::read_reference_table();
  ASSERT_GT(rows.size(), 300u);
  PreprocessSpec spec = preset_spec("torchvision").value();
  int64_t total = 0, exact = 0;
  int max_diff = 0, compared = 0, errors = 0;
  for (const test::RefRow& r : rows) {
    const std::string src = data_dir() + "/" + r.source;
    auto crop = preprocess_crop_file(src, spec, DecodeOptions{});
    if (r.mode == "ERROR") {
      ASSERT_FALSE(crop.is_ok()) << r.source << " decodes, but Pillow refuses it: " << r.note;
      const std::string msg = crop.status().message();
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
      EXPECT_EQ(msg.rfind(src, 0), 0u) << "error should start with the path: " << msg;
      ++errors;
      continue;
    }
    ASSERT_TRUE(crop.is_ok()) << r.source << ": " << crop.status().message();
    if (r.crop_png == "-") continue;  // no parity target (16-bit PNG: Pillow clips it)
    auto ref = decode_file(data_dir() + "/reference/preproc_torchvision/" + r.crop_png);
    ASSERT_TRUE(ref.is_ok()) << ref.status().message();
    test::PixelDiff d = test::compare(*crop, *ref);
    ASSERT_LE(d.max_diff, 1) << r.source << ": max diff " << d.max_diff;
    total += d.total;
    exact += d.exact;
    max_diff = std::max(max_diff, d.max_diff);
    ++compared;
  }
  const double exact_pct = 100.0 * static_cast<double>(exact) / static_cast<double>(total);
  std::printf("torchvision parity: %d images, %lld values, %.4f%% exact, max diff %d; %d refused as Pillow does\n",
              compared, static_cast<long long>(total), exact_pct, max_diff, errors);
  RecordProperty("exact_percent", std::to_string(exact_pct));
  RecordProperty("max_diff", max_diff);
  EXPECT_GE(exact_pct, 99.9);
  EXPECT_GE(compared, 300);
}

TEST(ImageParity, NormalisedTensorsMatchReferenceForPhotos) {
  if (!has_data()) GTEST_SKIP() << "shared data not found (set INR_DATA_DIR)";
  auto order = read_file(data_dir() + "/reference/photos_input_order.txt");
  auto bin = read_file(data_dir() + "/reference/photos_input_f32_nchw.bin");
  ASSERT_TRUE(order.is_ok() && bin.is_ok());
  std::vector<std::string> names;
  std::stringstream ss(*order);
  for (std::string l; std::getline(ss, l);)
    if (!l.empty()) names.push_back(l);
  constexpr size_t kPerImage = 3 * 224 * 224;
  ASSERT_EQ(bin->size(), names.size() * kPerImage * sizeof(float));
  PreprocessSpec spec = preset_spec("torchvision").value();
  Preprocessor pre(spec);
  std::vector<float> out(kPerImage);
  size_t bit_exact = 0, n = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    ASSERT_TRUE(pre.run_file(data_dir() + "/" + names[i], out.data(), out.size() * sizeof(float)).is_ok());
    const float* ref = reinterpret_cast<const float*>(bin->data()) + i * kPerImage;
    for (size_t j = 0; j < kPerImage; ++j) {
      const size_t c = j / (224 * 224);
      // One 8-bit step of the crop is 1/255/std in the normalised tensor; the crop itself is required to be
      // within 1 of Pillow's, so this is the largest difference a correct pipeline can show.
      const double tol = 1.0 / 255.0 / spec.std[c] + 1e-6;
      ASSERT_NEAR(out[j], ref[j], tol) << names[i] << " element " << j;
      bit_exact += std::memcmp(&out[j], &ref[j], sizeof(float)) == 0;
      ++n;
    }
  }
  std::printf("photos tensor: %.4f%% of %zu values bit-exact\n", 100.0 * static_cast<double>(bit_exact) / n, n);
}

}  // namespace
}  // namespace inr::image
