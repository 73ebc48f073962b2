// The ONNX-zoo QOperator MobileNetV2 (mobilenetv2-12-int8.onnx: QuantizeLinear, QLinearConv with per-channel
// s8 weights and u8 activations, QLinearAdd, QLinearGlobalAveragePool, QLinearMatMul, DequantizeLinear) on the
// reference backend (and, for the photos, on oneDNN) against ONNX Runtime's outputs staged in
// ../shared/data/reference.
//
// Tolerance. Every tensor between the first QuantizeLinear and the final DequantizeLinear is an integer
// computed with ONNX Runtime's own arithmetic (src/ops/quant_util.h), and the logits are
// DequantizeLinear(u8) = float(q - zp) * scale, so each logit is one of 256 values. Exact agreement is the
// expectation; the test allows a logit to differ by at most one quantization step of the output (one LSB)
// on at most kMaxLsbLogits logits, which is what a single accumulator rounding differently (e.g. ORT's AVX2
// u8 x s8 kernel saturating its int16 pair sums on a rare input) could cause, and reports the exact counts.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>

#include "data/labels.h"
#include "image/batch_loader.h"
#include "inr/session.h"
#include "test_util.h"

namespace inr {
namespace {

constexpr const char* kModel = "/models/mobilenetv2-12-int8.onnx";
constexpr int64_t kClasses = 1000;
constexpr int kTopK = 5;
constexpr int64_t kMaxLsbLogits = 5;         // logits allowed one output step away from ORT's (see header)
constexpr double kMinTop1Agreement = 0.99;    // of the 1166 labelled images
constexpr size_t kBatch = 16;

Tensor read_raw_f32(const std::string& path, Shape shape) {
  Tensor t = Tensor::empty(DType::kF32, std::move(shape));
  std::ifstream in(path, std::ios::binary);
  in.read(static_cast<char*>(t.raw()), static_cast<std::streamsize>(t.bytes()));
  EXPECT_TRUE(in.good()) << path;
  return t;
}

std::unique_ptr<Session> load_session(const std::string& backend = "reference") {
  SessionOptions o;
  o.backend = backend;
  auto s = Session::load(test::data_dir() + kModel, o);
  EXPECT_TRUE(s.is_ok()) << s.status().message();
  return s.is_ok() ? std::move(s.value()) : nullptr;
}

// On both backends: oneDNN runs QLinearConv / QLinearMatMul as int8 primitives and QLinearAdd /
// QLinearGlobalAveragePool as its own steps over channels-last memory.
class Int8ZooPhotos : public ::testing::TestWithParam<std::string> {};

TEST_P(Int8ZooPhotos, MatchOrtLogits) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found (set INR_DATA_DIR)";
  const std::string d = test::data_dir();
  Tensor input = read_raw_f32(d + "/reference/photos_input_f32_nchw.bin", {5, 3, 224, 224});
  Tensor want = read_raw_f32(d + "/reference/mobilenetv2-12-int8_photos_logits_f32.bin", {5, kClasses});
  auto session = load_session(GetParam());
  ASSERT_NE(session, nullptr);
  auto out = session->run(std::span<const Tensor>(&input, 1));
  ASSERT_TRUE(out.is_ok()) << out.status().message();
  const Tensor& got = (*out)[0];
  ASSERT_EQ(got.shape(), want.shape());

  // The output step: the smallest non-zero difference between two ORT logits of one row.
  double step = INFINITY, max_diff = 0;
  int64_t differing = 0;
  const float* g = got.data<float>();
  const float* w = want.data<float>();
  for (int64_t i = 0; i + 1 < want.numel(); ++i) {
    double dd = std::abs(static_cast<double>(w[i + 1]) - w[i]);
    if (dd > 0) step = std::min(step, dd);
  }
  for (int64_t i = 0; i < want.numel(); ++i) {
    double diff = std::abs(static_cast<double>(g[i]) - w[i]);
    max_diff = std::max(max_diff, diff);
    differing += diff != 0;
  }
  RecordProperty("max_abs_diff", std::to_string(max_diff));
  RecordProperty("differing_logits", std::to_string(differing));
  std::cout << "[int8 zoo] photos: max |logit - ORT| = " << max_diff << ", " << differing << " of " << want.numel()
            << " logits differ (output step " << step << ")\n";
  EXPECT_LE(differing, kMaxLsbLogits);
  EXPECT_LE(max_diff, step * 1.001) << "a logit is more than one output step away from ORT's";
  for (int64_t r = 0; r < 5; ++r) {
    std::span<const float> gr(g + r * kClasses, kClasses), wr(w + r * kClasses, kClasses);
    EXPECT_EQ(data::top_k(gr, kTopK), data::top_k(wr, kTopK)) << "photo " << r;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, Int8ZooPhotos, ::testing::Values("reference", "onednn"));

struct LabelledImage {
  std::string path;
  int ort_top1 = -1;
};

// reference/mobilenetv2-12-int8_imagenet_top5.tsv: relative_path <TAB> label <TAB> ORT top-5 "a,b,c,d,e".
std::vector<LabelledImage> ort_predictions(const std::string& d) {
  std::vector<LabelledImage> v;
  std::ifstream in(d + "/reference/mobilenetv2-12-int8_imagenet_top5.tsv");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string rel, label, top5;
    if (!std::getline(ls, rel, '\t') || !std::getline(ls, label, '\t') || !std::getline(ls, top5, '\t')) continue;
    if (top5.empty() || !std::isdigit(static_cast<unsigned char>(top5[0]))) continue;  // header
    v.push_back({d + "/imagenet/" + rel, std::stoi(top5.substr(0, top5.find(',')))});
  }
  return v;
}

TEST(Int8Zoo, Top1AgreesWithOrtOnLabelledImages) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found (set INR_DATA_DIR)";
  const std::string d = test::data_dir();
  std::vector<LabelledImage> images = ort_predictions(d);
  ASSERT_GT(images.size(), 1000u) << "reference/mobilenetv2-12-int8_imagenet_top5.tsv";
  auto session = load_session("onednn");  // the path users run; the photos test pins both backends to ORT
  ASSERT_NE(session, nullptr);
  auto spec = image::preset_spec("torchvision");
  ASSERT_TRUE(spec.is_ok()) << spec.status().message();
  image::BatchLoader loader(*spec, {}, 2);

  auto start = std::chrono::steady_clock::now();
  size_t agree = 0, failed = 0;
  for (size_t b0 = 0; b0 < images.size(); b0 += kBatch) {
    size_t n = std::min(kBatch, images.size() - b0);
    std::vector<std::string> paths;
    for (size_t i = 0; i < n; ++i) paths.push_back(images[b0 + i].path);
    std::vector<image::BatchFailure> failures;
    auto batch = loader.load(paths, failures);
    ASSERT_TRUE(batch.is_ok()) << batch.status().message();
    failed += failures.size();
    auto out = session->run(std::span<const Tensor>(&batch.value(), 1));
    ASSERT_TRUE(out.is_ok()) << out.status().message();
    const float* logits = (*out)[0].data<float>();
    for (size_t i = 0; i < n; ++i) {
      std::span<const float> row(logits + i * kClasses, kClasses);
      agree += data::top_k(row, 1)[0] == images[b0 + i].ort_top1;
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double rate = static_cast<double>(agree) / static_cast<double>(images.size());
  RecordProperty("top1_agreement", std::to_string(rate));
  RecordProperty("seconds", std::to_string(seconds));
  std::cout << "[int8 zoo] top-1 agreement with ORT: " << agree << " / " << images.size() << " (" << rate * 100
            << "%), " << seconds << " s\n";
  EXPECT_EQ(failed, 0u);
  EXPECT_GE(rate, kMinTop1Agreement);
}

}  // namespace
}  // namespace inr
