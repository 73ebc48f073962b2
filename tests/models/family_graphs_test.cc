// Small graphs of the classifier families inr must run (tests/models/family_graphs.py, seeded weights,
// onnx.helper + numpy, no PyTorch) against ONNX Runtime on both backends: logits max-abs error
// <= 1e-4 x max|logit| and the same top-5 (DESIGN.md), softmax outputs within the same bound.
// ViT, Swin (shifted windows, pads computed from the input's shape), ConvNeXt and ShuffleNet v2 graphs at
// opsets 13 and 17 are one file both engines run.
// Old-opset graphs (opsets 1..6, as the ONNX zoo's classic classifiers) are run by inr as they are and by
// ORT in their opset-13 spelling, which the generator writes from the same weights: ORT has no kernels
// for those opsets' BatchNormalization/Add, so it could not be the oracle of the legacy file itself.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
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

class FamilyGraph : public ::testing::TestWithParam<FamilyCase> {};

TEST_P(FamilyGraph, MatchesOrt) {
  if (!have_ort()) GTEST_SKIP() << "onnxruntime-node not installed (scripts/install-deps.sh)";
  if (!have_python_onnx()) GTEST_SKIP() << kPython << " cannot import numpy and onnx (scripts/install-deps.sh)";
  const FamilyCase& fc = GetParam();
  Generated g = generate(fc.graph);
  ASSERT_FALSE(g.input.empty());
  Tensor input = test::random_f32(g.input, 5, -2.f, 2.f);
  std::string dir = test::temp_dir("family_ort_" + fc.graph);
  ASSERT_TRUE(write_npy(dir + "/input.npy", input).is_ok());
  auto r = test::run_shell("node " + test::source_dir() + "/tools/ort/ort_run.js run " + g.modern + " " + dir +
                           "/out " + dir + "/input.npy");
  ASSERT_EQ(r.exit_code, 0) << r.err;

  SessionOptions o;
  o.backend = fc.backend;
  auto s = Session::load(g.legacy, o);
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  auto out = (*s)->run(std::span<const Tensor>(&input, 1));
  ASSERT_TRUE(out.is_ok()) << out.status().message();
  ASSERT_EQ(out->size(), (*s)->outputs().size());
  for (size_t i = 0; i < out->size(); ++i) {
    const std::string& name = (*s)->outputs()[i].name;
    auto want = read_npy(dir + "/out/" + name + ".npy");
    ASSERT_TRUE(want.is_ok()) << want.status().message();
    const Tensor& got = (*out)[i];
    ASSERT_EQ(got.shape(), want->shape()) << name;
    double err = 0, ref = 0;
    for (int64_t k = 0; k < got.numel(); ++k) {
      err = std::max(err, static_cast<double>(std::abs(got.data<float>()[k] - want->data<float>()[k])));
      ref = std::max(ref, static_cast<double>(std::abs(want->data<float>()[k])));
    }
    RecordProperty("max_abs_err_" + name, std::to_string(err));
    EXPECT_LE(err, kRelTolerance * ref) << name << ": max|ORT| " << ref;
    if (name != "logits") continue;
    const int64_t classes = got.dim(-1);
    for (int64_t row = 0; row < got.numel() / classes; ++row) {
      std::span<const float> a(got.data<float>() + row * classes, classes), b(want->data<float>() + row * classes, classes);
      EXPECT_EQ(data::top_k(a, 5), data::top_k(b, 5)) << "row " << row;
    }
  }
  // The backend asked for must have run the network: on onednn, reference may only own nodes oneDNN lacks.
  auto placement = (*s)->placement_summary(std::span<const Shape>(&g.input, 1));
  ASSERT_TRUE(placement.is_ok());
  RecordProperty("placement", *placement);
  if (fc.backend == "onednn") EXPECT_NE(placement->find("onednn"), std::string::npos) << *placement;
}

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
