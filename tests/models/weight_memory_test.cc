// Weights are held once (issue #16, item 7): once a plan is compiled, the graph's constant tensors that a backend
// copied (oneDNN reorders weights into its own memory) are released, a session loaded from a file keeps no
// imported graph beside its plan, and BatchNorm folding leaves no unfolded copy. Checked by accounting
// (Session::weight_memory), not by timing or RSS: a synthetic ResNet18 (Conv+BN, Gemm) and the real MobileNetV2
// fp32 and int8 (QLinearConv, QGemm-free QOperator graph).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "backends/onednn/onednn_compiler.h"
#include "inr/session.h"
#include "ir/graph.h"
#include "models/synth.h"
#include "onnx/onnx_io.h"
#include "test_util.h"

namespace inr {
namespace {

namespace fs = std::filesystem;

// Bytes of the model's initializers as imported.
size_t imported_constant_bytes(const std::string& model) {
  auto g = import_onnx_file(model);
  EXPECT_TRUE(g.is_ok()) << g.status().message();
  if (!g.is_ok()) return 0;
  size_t bytes = 0;
  for (const auto& v : (*g)->values())
    if (v->is_constant()) bytes += v->constant.bytes();
  return bytes;
}

// A small synthetic ResNet18 (64x64 input, 10 classes: 11 MB of weights), written once per test process.
const std::string& synth_resnet18() {
  static const std::string path = [] {
    SynthOptions so;
    so.arch = "resnet18";
    so.seed = 5;
    so.batch = 0;  // dynamic: the re-plan test runs batch 1 and 2
    so.image_size = 64;
    so.classes = 10;
    so.calib_size = 32;
    auto g = synth_model(so);
    EXPECT_TRUE(g.is_ok()) << g.status().message();
    std::string p = test::temp_dir("weight_memory") + "/resnet18.onnx";
    EXPECT_TRUE(export_onnx_file(**g, p).is_ok());
    return p;
  }();
  return path;
}

Session::WeightMemory weight_memory_of(const std::string& model, const SessionOptions& o, const Shape& input) {
  auto s = Session::load(model, o);
  EXPECT_TRUE(s.is_ok()) << s.status().message();
  if (!s.is_ok()) return {};
  std::vector<Shape> shapes{input};
  auto wm = (*s)->weight_memory(shapes);
  EXPECT_TRUE(wm.is_ok()) << wm.status().message();
  return wm.is_ok() ? *wm : Session::WeightMemory{};
}

TEST(WeightMemory, OnednnHoldsTheConvModelsWeightsOnce) {
  const std::string& model = synth_resnet18();
  const size_t weights = imported_constant_bytes(model);
  ASSERT_GT(weights, size_t{10} << 20);
  SessionOptions o;
  o.backend = "onednn";
  o.compact_weights = true;
  Session::WeightMemory wm = weight_memory_of(model, o, {1, 3, 64, 64});
  // Before: the imported graph (kept for re-planning) and the BN-folded copy, 2x the weights, stayed beside
  // oneDNN's. Now only what no backend copied stays: a Reshape/Flatten shape or two, a few bytes.
  EXPECT_LE(wm.graph_bytes, weights / 1000) << "graph constants still held";
  // Every Conv and the Gemm are copied: the folded weights (the BN parameters are gone, biases added).
  EXPECT_GE(wm.released_bytes, weights * 95 / 100);
  // Compact: oneDNN's blocked copies are the weights' own size (the stem's 3 input channels are padded).
  EXPECT_GE(wm.backend_bytes, weights * 95 / 100);
  EXPECT_LE(wm.backend_bytes, weights * 105 / 100);
}

TEST(WeightMemory, ReferenceBackendKeepsTheConstantsItReads) {
  const std::string& model = synth_resnet18();
  const size_t weights = imported_constant_bytes(model);
  SessionOptions o;
  o.backend = "reference";
  Session::WeightMemory wm = weight_memory_of(model, o, {1, 3, 64, 64});
  // The reference backend reads the folded weights in place: nothing released, and only one copy held.
  EXPECT_EQ(wm.released_bytes, 0u);
  EXPECT_EQ(wm.backend_bytes, 0u);
  EXPECT_GE(wm.graph_bytes, weights * 95 / 100);
  EXPECT_LE(wm.graph_bytes, weights);
}

TEST(WeightMemory, SessionFromAGraphKeepsItsGraphForLaterPlans) {
  // A graph handed over in memory cannot be read again: the session keeps it, so its weights count once
  // in graph_bytes beside the backend's copy (the plan's folded copy is released).
  const std::string& model = synth_resnet18();
  const size_t weights = imported_constant_bytes(model);
  auto g = import_onnx_file(model);
  ASSERT_TRUE(g.is_ok());
  SessionOptions o;
  o.backend = "onednn";
  o.compact_weights = true;
  auto s = Session::create(std::move(*g), o);
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  std::vector<Shape> shapes{{1, 3, 64, 64}};
  auto wm = (*s)->weight_memory(shapes);
  ASSERT_TRUE(wm.is_ok()) << wm.status().message();
  EXPECT_GE(wm->graph_bytes, weights);
  EXPECT_LE(wm->graph_bytes, weights + weights / 1000);  // + shape constants the passes fold
  EXPECT_GE(wm->released_bytes, weights * 95 / 100);
}

TEST(WeightMemory, LoadedSessionReadsTheFileAgainForANewShape) {
  // The first plan took the imported graph; batch 2 needs another plan, built from the file read again. Its
  // rows equal batch 1's results (same weights), and a file changed in between is refused.
  const std::string model = test::temp_dir("weight_memory_replan") + "/resnet18.onnx";
  fs::copy_file(synth_resnet18(), model);
  SessionOptions o;
  o.backend = "onednn";
  auto s = Session::load(model, o);
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  Tensor x1 = test::random_f32({1, 3, 64, 64}, 3);
  Tensor x2 = Tensor::empty(DType::kF32, {2, 3, 64, 64});
  std::memcpy(x2.data<float>(), x1.data<float>(), x1.bytes());
  std::memcpy(x2.data<float>() + x1.numel(), x1.data<float>(), x1.bytes());
  auto y1 = (*s)->run(std::span<const Tensor>(&x1, 1));
  ASSERT_TRUE(y1.is_ok()) << y1.status().message();
  auto y2 = (*s)->run(std::span<const Tensor>(&x2, 1));
  ASSERT_TRUE(y2.is_ok()) << y2.status().message();
  const float* a = (*y1)[0].data<float>();
  const float* b = (*y2)[0].data<float>();
  for (int64_t r = 0; r < 2; ++r)
    for (int64_t i = 0; i < 10; ++i) EXPECT_NEAR(b[r * 10 + i], a[i], 1e-4f * (1.f + std::abs(a[i]))) << r << "," << i;
  // Another modification time: a third shape is refused with one clear message.
  fs::last_write_time(model, fs::last_write_time(model) + std::chrono::seconds(5));
  Tensor x3 = test::random_f32({3, 3, 64, 64}, 4);
  auto y3 = (*s)->run(std::span<const Tensor>(&x3, 1));
  ASSERT_FALSE(y3.is_ok());
  EXPECT_NE(y3.status().message().find("changed since the session loaded it"), std::string::npos)
      << y3.status().message();
  // Shapes already planned still run.
  EXPECT_TRUE((*s)->run(std::span<const Tensor>(&x1, 1)).is_ok());
}

struct ZooCase {
  const char* file;
  size_t max_graph_permille;  // graph constants left, per mille of the weights
};

class WeightMemoryZoo : public ::testing::TestWithParam<ZooCase> {};

TEST_P(WeightMemoryZoo, OnednnReleasesTheCopiedWeights) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  const std::string model = test::data_dir() + "/models/" + GetParam().file;
  const size_t weights = imported_constant_bytes(model);
  SessionOptions o;
  o.backend = "onednn";
  o.compact_weights = true;
  Session::WeightMemory wm = weight_memory_of(model, o, {1, 3, 224, 224});
  // Left: the per-tensor scales and zero points the int8 kernels read at compile time (int8: 73 KB of f32
  // and u8 for 3.5 MB of weights), shape constants.
  EXPECT_LE(wm.graph_bytes, weights * GetParam().max_graph_permille / 1000)
      << wm.graph_bytes << " of " << weights << " bytes still held";
  EXPECT_GE(wm.released_bytes, weights * 90 / 100);
  // oneDNN's copies are the weights' own size; on a CPU without exact int8 (AVX2: vpmaddubsw saturates) the
  // int8 convolutions split their weights into two pair-safe halves, each a full-size s8 tensor.
  const bool int8 = std::string(GetParam().file).find("fp32") == std::string::npos;
  const size_t copies = int8 && !onednn::cpu_has_exact_int8() ? 2 : 1;
  EXPECT_LE(wm.backend_bytes, copies * weights * 110 / 100);
}

INSTANTIATE_TEST_SUITE_P(Models, WeightMemoryZoo,
                         ::testing::Values(ZooCase{"mobilenetv2-12-int8-dequant-fp32.onnx", 5},
                                           ZooCase{"mobilenetv2-12-int8.onnx", 30}),
                         [](const auto& info) {
                           return std::string(info.param.file).find("fp32") != std::string::npos ? "fp32" : "int8";
                         });

}  // namespace
}  // namespace inr
