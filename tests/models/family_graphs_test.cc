// Small graphs of the classifier families inr must run (tests/models/family_graphs.py, seeded weights,
// onnx.helper + numpy, no PyTorch) against ONNX Runtime on both backends: logits max-abs error
// <= 1e-4 x max|logit| and the same top-5 (DESIGN.md), softmax outputs within the same bound.
// ViT, Swin (shifted windows, pads computed from the input's shape), ConvNeXt and ShuffleNet v2 graphs, and
// the other 13 torchvision families (AlexNet ... RegNet, as torch.onnx writes them), at opsets 13 and 17, are
// one file both engines run; so is runtime_shapes (shapes computed from the input's values, ShapesFromData).
// Old-opset graphs (opsets 1..6, as the ONNX zoo's classic classifiers) are run by inr as they are and by
// ORT in their opset-13 spelling, which the generator writes from the same weights: ORT has no kernels
// for those opsets' BatchNormalization/Add, so it could not be the oracle of the legacy file itself.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/npy.h"
#include "data/labels.h"
#include "inr/session.h"
#include "onnx/onnx_io.h"
#include "test_util.h"

namespace inr {
namespace {

namespace fs = std::filesystem;
constexpr double kRelTolerance = 1e-4;  // DESIGN.md: max-abs error <= 1e-4 x max|logit|
constexpr char kPython[] = "/usr/bin/python3";

struct FamilyCase {
  std::string graph;  // a name in family_graphs.py's GRAPHS
  std::string backend;
};

struct Generated {
  std::string legacy, modern;  // the model inr runs, the model ORT runs
  Shape input;
};

// Runs the generator for one graph; a failure is a test failure (the generator is part of the test).
Generated generate(const std::string& graph) {
  std::string dir = test::temp_dir("family_" + graph);
  auto r = test::run_shell(std::string(kPython) + " " + test::source_dir() + "/tests/models/family_graphs.py " + dir +
                           " " + graph);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::ifstream list(dir + "/list.tsv");
  Generated g;
  std::string name, shape;
  list >> name >> g.legacy >> g.modern >> shape;
  EXPECT_EQ(name, graph);
  std::stringstream dims(shape);
  for (std::string d; std::getline(dims, d, ',');) g.input.push_back(std::stoll(d));
  return g;
}

bool have_ort() { return fs::exists(test::source_dir() + "/tools/ort/node_modules/onnxruntime-node/package.json"); }

bool have_python_onnx() {
  return test::run_shell(std::string(kPython) + " -c 'import numpy, onnx'").exit_code == 0;
}

// Runs `model` in ORT on `input` and compares inr's outputs `got` (named `outputs`) with it: max-abs error
// <= kRelTolerance x max|ORT| per output, the same top-5 per row of the logits.
void expect_matches_ort(const std::string& model, const Tensor& input, const std::vector<Tensor>& got,
                        const std::vector<IoInfo>& outputs, const std::string& tag) {
  std::string dir = test::temp_dir("family_ort_" + tag);
  ASSERT_TRUE(write_npy(dir + "/input.npy", input).is_ok());
  auto r = test::run_shell("node " + test::source_dir() + "/tools/ort/ort_run.js run " + model + " " + dir +
                           "/out " + dir + "/input.npy");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(got.size(), outputs.size());
  for (size_t i = 0; i < got.size(); ++i) {
    const std::string& name = outputs[i].name;
    auto want = read_npy(dir + "/out/" + name + ".npy");
    ASSERT_TRUE(want.is_ok()) << want.status().message();
    ASSERT_EQ(got[i].shape(), want->shape()) << name;
    double err = 0, ref = 0;
    for (int64_t k = 0; k < got[i].numel(); ++k) {
      err = std::max(err, static_cast<double>(std::abs(got[i].data<float>()[k] - want->data<float>()[k])));
      ref = std::max(ref, static_cast<double>(std::abs(want->data<float>()[k])));
    }
    ::testing::Test::RecordProperty("max_abs_err_" + name + (tag.empty() ? "" : "_" + tag), std::to_string(err));
    EXPECT_LE(err, kRelTolerance * ref) << name << ": max|ORT| " << ref;
    if (name != "logits") continue;
    const int64_t classes = got[i].dim(-1);
    for (int64_t row = 0; row < got[i].numel() / classes; ++row) {
      std::span<const float> a(got[i].data<float>() + row * classes, classes),
          b(want->data<float>() + row * classes, classes);
      EXPECT_EQ(data::top_k(a, 5), data::top_k(b, 5)) << "row " << row;
    }
  }
}

class FamilyGraph : public ::testing::TestWithParam<FamilyCase> {};

TEST_P(FamilyGraph, MatchesOrt) {
  if (!have_ort()) GTEST_SKIP() << "onnxruntime-node not installed (scripts/install-deps.sh)";
  if (!have_python_onnx()) GTEST_SKIP() << kPython << " cannot import numpy and onnx (scripts/install-deps.sh)";
  const FamilyCase& fc = GetParam();
  Generated g = generate(fc.graph);
  ASSERT_FALSE(g.input.empty());
  Tensor input = test::random_f32(g.input, 5, -2.f, 2.f);

  SessionOptions o;
  o.backend = fc.backend;
  auto s = Session::load(g.legacy, o);
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  auto out = (*s)->run(std::span<const Tensor>(&input, 1));
  ASSERT_TRUE(out.is_ok()) << out.status().message();
  expect_matches_ort(g.modern, input, *out, (*s)->outputs(), fc.graph);
  // The backend asked for must have run the network: on onednn, reference may only own nodes oneDNN lacks.
  auto placement = (*s)->placement_summary(std::span<const Shape>(&g.input, 1));
  ASSERT_TRUE(placement.is_ok());
  RecordProperty("placement", *placement);
  if (fc.backend == "onednn") EXPECT_NE(placement->find("onednn"), std::string::npos) << *placement;
}

// Shapes known only from the data (issue #12 item 3): runtime_shapes_opset{13,17}'s Pad pads come from the
// input's maximum (clipped to 0..3), its Slice ends, Range limit and Reshape shape from the ArgMax of the
// channel means, its Expand shape from the maximum again. One session runs three inputs whose (maximum,
// ArgMax) differ, so each run needs a plan of its own, and each matches ORT; the probes that compute those
// values run first, the rest of the graph is planned per value (on oneDNN where it can).
class ShapesFromData : public ::testing::TestWithParam<FamilyCase> {};

TEST_P(ShapesFromData, EachValueMatchesOrt) {
  if (!have_ort()) GTEST_SKIP() << "onnxruntime-node not installed (scripts/install-deps.sh)";
  if (!have_python_onnx()) GTEST_SKIP() << kPython << " cannot import numpy and onnx (scripts/install-deps.sh)";
  const FamilyCase& fc = GetParam();
  Generated g = generate(fc.graph);
  ASSERT_EQ(g.input, (Shape{2, 3, 16, 16}));
  SessionOptions o;
  o.backend = fc.backend;
  auto s = Session::load(g.legacy, o);
  ASSERT_TRUE(s.is_ok()) << s.status().message();

  // Without the data, the output shapes cannot be known, and the message says which values decide them.
  auto shapes = (*s)->output_shapes(std::span<const Shape>(&g.input, 1));
  ASSERT_FALSE(shapes.is_ok());
  EXPECT_NE(shapes.status().message().find("computed from the data at run time"), std::string::npos)
      << shapes.status().message();

  std::set<std::pair<int, int>> seen;
  const float scales[] = {0.4f, 1.2f, 2.5f, 1.2f};  // the last repeats the second's values: its plans are reused
  const int raised[] = {0, 1, 2, 1};
  for (int i = 0; i < 4; ++i) {
    Tensor input = test::random_f32(g.input, 11, -scales[i], scales[i]);
    float* x = input.data<float>();
    for (int n = 0; n < 2; ++n)  // raise the mean of one channel: the ArgMax
      for (int k = 0; k < 256; ++k) x[(n * 3 + raised[i]) * 256 + k] += 0.3f * scales[i];
    // What the graph computes from the data: min(max(max(x), 0), 3) truncated, and the ArgMax.
    float mx = *std::max_element(x, x + input.numel());
    double means[3] = {0, 0, 0};
    for (int64_t k = 0; k < input.numel(); ++k) means[(k / 256) % 3] += x[k];
    seen.insert({static_cast<int>(std::clamp(mx, 0.f, 3.f)),
                 static_cast<int>(std::max_element(means, means + 3) - means)});
    auto out = (*s)->run(std::span<const Tensor>(&input, 1));
    ASSERT_TRUE(out.is_ok()) << out.status().message();
    expect_matches_ort(g.modern, input, *out, (*s)->outputs(), fc.graph + "_" + std::to_string(i));
  }
  EXPECT_EQ(seen.size(), 3u) << "the inputs must lead to three different (pads, ends) values";
  auto placement = (*s)->placement_summary(std::span<const Shape>(&g.input, 1));
  ASSERT_TRUE(placement.is_ok());
  EXPECT_NE(placement->find("then a plan per value of"), std::string::npos) << *placement;
}

INSTANTIATE_TEST_SUITE_P(Graphs, ShapesFromData,
                         ::testing::Values(FamilyCase{"runtime_shapes_opset13", "onednn"},
                                           FamilyCase{"runtime_shapes_opset13", "reference"},
                                           FamilyCase{"runtime_shapes_opset17", "onednn"},
                                           FamilyCase{"runtime_shapes_opset17", "reference"}),
                         [](const auto& info) { return info.param.graph + "_" + info.param.backend; });

std::vector<FamilyCase> cases() {
  std::vector<FamilyCase> out;
  for (const char* graph : {"alexnet_opset3", "alexnet_opset6", "googlenet_opset1", "googlenet_opset3",
                            "caffe2_resnet_opset3", "caffe2_resnet_opset6", "squeezenet_opset3", "vit_opset13",
                            "vit_opset17", "swin_opset13", "swin_opset17", "convnext_opset13", "convnext_opset17",
                            "shufflenet_opset13", "shufflenet_opset17"})
    for (const char* backend : {"onednn", "reference"}) out.push_back({graph, backend});
  for (const char* family : {"alexnet_tv", "vgg", "resnext", "wide_resnet", "squeezenet_tv", "densenet", "googlenet_tv",
                             "inception_v3", "mobilenet_v3", "mnasnet", "efficientnet_v1", "efficientnet_v2", "regnet"})
    for (const char* opset : {"_opset13", "_opset17"})
      for (const char* backend : {"onednn", "reference"}) out.push_back({std::string(family) + opset, backend});
  return out;
}

INSTANTIATE_TEST_SUITE_P(Families, FamilyGraph, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.graph + "_" + info.param.backend; });

}  // namespace
}  // namespace inr
