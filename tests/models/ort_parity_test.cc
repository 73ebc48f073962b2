// fp32 parity with ONNX Runtime (the external oracle), per DESIGN.md: logits max-abs error
// <= 1e-4 x max|logit| and identical top-5 order, on every backend.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/npy.h"
#include "data/labels.h"
#include "inr/session.h"
#include "ir/graph.h"
#include "models/synth.h"
#include "onnx/onnx_io.h"
#include "test_util.h"

namespace inr {
namespace {

namespace fs = std::filesystem;
constexpr double kRelTolerance = 1e-4;  // DESIGN.md: max-abs error <= 1e-4 x max|logit|

Tensor read_raw_f32(const std::string& path, Shape shape) {
  Tensor t = Tensor::empty(DType::kF32, shape);
  std::ifstream in(path, std::ios::binary);
  in.read(static_cast<char*>(t.raw()), static_cast<std::streamsize>(t.bytes()));
  EXPECT_TRUE(in.good()) << path;
  return t;
}

struct Comparison {
  double max_abs_err = 0, max_abs_ref = 0;
  bool top5_same = true;
};

Comparison compare_logits(const Tensor& got, const Tensor& want) {
  Comparison c;
  EXPECT_EQ(got.shape(), want.shape());
  int64_t classes = want.dim(-1), rows = want.numel() / classes;
  for (int64_t i = 0; i < want.numel(); ++i) {
    c.max_abs_err = std::max(c.max_abs_err, static_cast<double>(std::abs(got.data<float>()[i] - want.data<float>()[i])));
    c.max_abs_ref = std::max(c.max_abs_ref, static_cast<double>(std::abs(want.data<float>()[i])));
  }
  for (int64_t r = 0; r < rows; ++r) {
    std::span<const float> g(got.data<float>() + r * classes, classes), w(want.data<float>() + r * classes, classes);
    c.top5_same = c.top5_same && data::top_k(g, 5) == data::top_k(w, 5);
  }
  return c;
}

bool have_ort() { return fs::exists(test::source_dir() + "/tools/ort/node_modules/onnxruntime-node/package.json"); }

// Runs ORT on `model` with one input; returns output 0.
Tensor run_ort(const std::string& model, const Tensor& input) {
  std::string dir = test::temp_dir("ort_" + fs::path(model).stem().string());
  EXPECT_TRUE(write_npy(dir + "/input.npy", input).is_ok());
  auto r = test::run_shell("node " + test::source_dir() + "/tools/ort/ort_run.js run " + model + " " + dir + "/out " +
                           dir + "/input.npy");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto out = read_npy(dir + "/out/output.npy");
  EXPECT_TRUE(out.is_ok()) << out.status().message();
  return out.is_ok() ? *out : Tensor();
}

class PhotoParity : public ::testing::TestWithParam<std::string> {};

TEST_P(PhotoParity, MobileNetV2Fp32MatchesOrtLogits) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found (set INR_DATA_DIR)";
  const std::string d = test::data_dir();
  Tensor input = read_raw_f32(d + "/reference/photos_input_f32_nchw.bin", {5, 3, 224, 224});
  Tensor want = read_raw_f32(d + "/reference/mobilenetv2-12-int8-dequant-fp32_photos_logits_f32.bin", {5, 1000});
  SessionOptions o;
  o.backend = GetParam();
  auto s = Session::load(d + "/models/mobilenetv2-12-int8-dequant-fp32.onnx", o);
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  auto out = (*s)->run(std::span<const Tensor>(&input, 1));
  ASSERT_TRUE(out.is_ok()) << out.status().message();
  Comparison c = compare_logits((*out)[0], want);
  RecordProperty("max_abs_err", std::to_string(c.max_abs_err));
  EXPECT_LE(c.max_abs_err, kRelTolerance * c.max_abs_ref) << "max|logit| " << c.max_abs_ref;
  EXPECT_TRUE(c.top5_same);
  // The placement must be what was asked for: a backend that silently fell back would make this test vacuous.
  Shape shape = input.shape();
  auto placement = (*s)->placement_summary(std::span<const Shape>(&shape, 1));
  ASSERT_TRUE(placement.is_ok());
  EXPECT_EQ(placement->find(GetParam() == "onednn" ? "reference" : "onednn"), std::string::npos) << *placement;
}

INSTANTIATE_TEST_SUITE_P(Backends, PhotoParity, ::testing::Values("onednn", "reference"));

struct SynthCase {
  std::string arch;
  std::string backend;
};

class SynthParity : public ::testing::TestWithParam<SynthCase> {};

TEST_P(SynthParity, SynthResNetMatchesOrt) {
  if (!have_ort()) GTEST_SKIP() << "onnxruntime-node not installed (scripts/install-deps.sh)";
  const SynthCase& sc = GetParam();
  SynthOptions so;
  so.arch = sc.arch;
  so.seed = 7;
  so.batch = 2;
  auto g = synth_model(so);
  ASSERT_TRUE(g.is_ok()) << g.status().message();
  std::string model = test::temp_dir("synth") + "/" + sc.arch + ".onnx";
  if (!fs::exists(model)) ASSERT_TRUE(export_onnx_file(**g, model).is_ok());
  Tensor input = test::random_f32({2, 3, 224, 224}, 11, -2.f, 2.f);
  Tensor want = run_ort(model, input);
  SessionOptions o;
  o.backend = sc.backend;
  auto s = Session::load(model, o);
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  auto out = (*s)->run(std::span<const Tensor>(&input, 1));
  ASSERT_TRUE(out.is_ok()) << out.status().message();
  Comparison c = compare_logits((*out)[0], want);
  RecordProperty("max_abs_err", std::to_string(c.max_abs_err));
  EXPECT_LE(c.max_abs_err, kRelTolerance * c.max_abs_ref) << "max|logit| " << c.max_abs_ref;
  EXPECT_TRUE(c.top5_same);
}

INSTANTIATE_TEST_SUITE_P(Models, SynthParity,
                         ::testing::Values(SynthCase{"resnet18", "onednn"}, SynthCase{"resnet18", "reference"},
                                           SynthCase{"resnet50", "onednn"}),
                         [](const auto& info) { return info.param.arch + "_" + info.param.backend; });

// The synthetic model's activations stay in a realistic range: logits are finite, not all equal, and
// distinct inputs get distinct top-1 classes sometimes (weights are not degenerate).
TEST(Synth, LogitsAreRealistic) {
  SynthOptions so;
  so.arch = "resnet18";
  so.batch = 4;
  auto g = synth_model(so);
  ASSERT_TRUE(g.is_ok()) << g.status().message();
  auto s = Session::create(std::move(*g));
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  Tensor input = test::random_f32({4, 3, 224, 224}, 3, -2.f, 2.f);
  auto out = (*s)->run(std::span<const Tensor>(&input, 1));
  ASSERT_TRUE(out.is_ok()) << out.status().message();
  const Tensor& y = (*out)[0];
  double mx = 0;
  for (float v : y.span<float>()) {
    ASSERT_TRUE(std::isfinite(v));
    mx = std::max(mx, static_cast<double>(std::abs(v)));
  }
  EXPECT_GT(mx, 0.1);
  EXPECT_LT(mx, 1e3);
}

}  // namespace
}  // namespace inr
