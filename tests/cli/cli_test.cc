// End-to-end CLI tests: what a user types, what they see, and that bad input gives one clear line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>
#include <onnx/onnx_pb.h>

#include "core/npy.h"
#include "test_util.h"

namespace inr {
namespace {

namespace fs = std::filesystem;
using test::run_cli;

std::string fp32_model() { return test::data_dir() + "/models/mobilenetv2-12-int8-dequant-fp32.onnx"; }

using test::expect_one_line_error;

TEST(Cli, Version) {
  auto r = run_cli("--version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("inr 0."), std::string::npos);
}

TEST(Cli, ClassifyDogIsSamoyed) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  auto r = run_cli("classify -m " + fp32_model() + " -i " + test::data_dir() + "/images/dog.jpg -k 5 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["top"].size(), 5u);
  EXPECT_EQ(j["top"][0]["index"], 258);
  EXPECT_EQ(j["top"][0]["label"], "Samoyed");
  EXPECT_NEAR(j["top"][0]["score"].get<double>(), 0.772, 0.005);  // ORT: 77.2% (MANIFEST.md)
  EXPECT_GT(j["ms"].get<double>(), 0.0);
}

TEST(Cli, ClassifyTextListsTopK) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  auto r = run_cli("classify -m " + fp32_model() + " -i " + test::data_dir() + "/images/cat.png -k 3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::count_lines(r.out), 4);  // header + 3 classes
  EXPECT_NE(r.out.find("tiger cat"), std::string::npos) << r.out;
}

TEST(Cli, ClassifyCorruptImageIsOneLine) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  for (const char* bad : {"truncated.jpg", "zero_bytes.jpg", "not_an_image.jpg", "corrupt_crc.png"}) {
    SCOPED_TRACE(bad);
    auto r = run_cli("classify -m " + fp32_model() + " -i " + test::data_dir() + "/images/edge/" + bad);
    expect_one_line_error(r, bad);
  }
}

TEST(Cli, MissingModelFile) {
  auto r = run_cli("classify -m /nonexistent/model.onnx -i x.jpg");
  expect_one_line_error(r, "/nonexistent/model.onnx");
}

std::string write_file(const std::string& name, const std::string& bytes) {
  std::string path = test::temp_dir("bad_models") + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// A small valid model: input [1,4] -> Relu -> Add(initializer) -> output.
onnx::ModelProto tiny_model() {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(13);
  auto* g = m.mutable_graph();
  g->set_name("tiny");
  auto add_vi = [](onnx::ValueInfoProto* vi, const std::string& name) {
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    tt->mutable_shape()->add_dim()->set_dim_value(1);
    tt->mutable_shape()->add_dim()->set_dim_value(4);
  };
  add_vi(g->add_input(), "x");
  add_vi(g->add_output(), "y");
  auto* init = g->add_initializer();
  init->set_name("b");
  init->set_data_type(onnx::TensorProto::FLOAT);
  init->add_dims(1);
  init->add_dims(4);
  for (int i = 0; i < 4; ++i) init->add_float_data(static_cast<float>(i));
  auto* relu = g->add_node();
  relu->set_name("relu");
  relu->set_op_type("Relu");
  relu->add_input("x");
  relu->add_output("r");
  auto* add = g->add_node();
  add->set_name("add");
  add->set_op_type("Add");
  add->add_input("r");
  add->add_input("b");
  add->add_output("y");
  return m;
}

std::string save(const std::string& name, const onnx::ModelProto& m) {
  std::string bytes;
  m.SerializeToString(&bytes);
  return write_file(name, bytes);
}

TEST(Cli, RunTinyModelWritesNpy) {
  std::string model = save("tiny.onnx", tiny_model());
  std::string dir = test::temp_dir("run_tiny");
  Tensor x = Tensor::from_vector<float>(DType::kF32, {1, 4}, {-1.f, 2.f, -3.f, 4.f});
  ASSERT_TRUE(write_npy(dir + "/x.npy", x).is_ok());
  auto r = run_cli("run -m " + model + " --input " + dir + "/x.npy --output-dir " + dir + "/out");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto y = read_npy(dir + "/out/y.npy");
  ASSERT_TRUE(y.is_ok()) << y.status().message();
  std::vector<float> got(y->data<float>(), y->data<float>() + 4);
  EXPECT_EQ(got, (std::vector<float>{0.f, 3.f, 2.f, 7.f}));
}

TEST(Cli, RunWrongInputShape) {
  std::string model = save("tiny_shape.onnx", tiny_model());
  std::string dir = test::temp_dir("run_shape");
  ASSERT_TRUE(write_npy(dir + "/x.npy", Tensor::zeros(DType::kF32, {1, 5})).is_ok());
  auto r = run_cli("run -m " + model + " --input " + dir + "/x.npy --output-dir " + dir + "/out");
  expect_one_line_error(r, "input 'x': shape [1,5] does not match the model's [1,4]");
  EXPECT_FALSE(fs::exists(dir + "/out/y.npy"));
}

TEST(Cli, TruncatedOnnx) {
  std::string bytes;
  tiny_model().SerializeToString(&bytes);
  std::string path = write_file("truncated.onnx", bytes.substr(0, bytes.size() / 2));
  expect_one_line_error(run_cli("info -m " + path), "not a valid ONNX model");
}

TEST(Cli, NotOnnx) {
  std::string path = write_file("text.onnx", "this is not a model\n");
  expect_one_line_error(run_cli("info -m " + path), "not a valid ONNX model");
}

TEST(Cli, MissingInitializer) {
  onnx::ModelProto m = tiny_model();
  m.mutable_graph()->clear_initializer();
  expect_one_line_error(run_cli("info -m " + save("noinit.onnx", m)),
                        "input 'b' is neither a graph input, an initializer nor produced by a node");
}

TEST(Cli, GraphCycle) {
  onnx::ModelProto m = tiny_model();
  // relu reads the add's output: relu -> add -> relu.
  m.mutable_graph()->mutable_node(0)->set_input(0, "y");
  expect_one_line_error(run_cli("info -m " + save("cycle.onnx", m)), "cycle");
}

TEST(Cli, UnsupportedOpsAreAllNamed) {
  onnx::ModelProto m = tiny_model();
  m.mutable_graph()->mutable_node(0)->set_op_type("FancyRelu");
  m.mutable_graph()->mutable_node(1)->set_op_type("Frobnicate");
  auto r = run_cli("info -m " + save("unsupported.onnx", m));
  expect_one_line_error(r, "unsupported ops: FancyRelu (relu), Frobnicate (add)");
}

TEST(Cli, InfoDescribesModel) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  auto r = run_cli("info -m " + fp32_model());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("input:  input f32[?,3,224,224]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Conv"), std::string::npos);
  EXPECT_NE(r.out.find("parameters:"), std::string::npos);
}

TEST(Cli, SynthWritesLoadableResNet18) {
  std::string out = test::temp_dir("synth_cli") + "/r18.onnx";
  auto r = run_cli("synth resnet18 --seed 3 -o " + out + " --batch dynamic");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto info = run_cli("info -m " + out);
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("Conv                         20"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("BatchNormalization           20"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("input:  input f32[?,3,224,224]"), std::string::npos) << info.out;
  expect_one_line_error(run_cli("synth resnet7 -o " + out + ".x"), "unknown architecture 'resnet7'");
  EXPECT_FALSE(fs::exists(out + ".x"));
}

TEST(Cli, BenchJson) {
  std::string out = test::temp_dir("bench_cli") + "/r18.onnx";
  ASSERT_EQ(run_cli("synth resnet18 -o " + out + " --batch dynamic").exit_code, 0);
  auto r = run_cli("bench -m " + out + " --batch 1,2 --runs 2 --warmup 1 --threads 2 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["results"].size(), 2u);
  for (const auto& res : j["results"]) {
    for (const char* key : {"batch", "p50_ms", "p90_ms", "p99_ms", "min_ms", "max_ms", "images_per_s"})
      EXPECT_TRUE(res.contains(key)) << key;
    EXPECT_LE(res["min_ms"].get<double>(), res["p50_ms"].get<double>());
    EXPECT_GT(res["arena_bytes"].get<int64_t>(), 0);
  }
  EXPECT_EQ(j["results"][1]["batch"], 2);
}

TEST(Cli, FetchFromMirrorVerifiesChecksum) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  auto r = run_cli("fetch mobilenetv2-12-int8 --model-dir " + test::data_dir() + "/models");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("mobilenetv2-12-int8.onnx"), std::string::npos);
  // A mirror holding a file of the right name but wrong bytes is refused.
  std::string bad = test::temp_dir("bad_mirror");
  std::ofstream(bad + "/mobilenetv2-12-int8.onnx") << "not the model";
  expect_one_line_error(run_cli("fetch mobilenetv2-12-int8 --model-dir " + bad), "expected 3655640");
  expect_one_line_error(run_cli("fetch resnet50-v1-12 --model-dir " + bad), "resnet50-v1-12.onnx not found in mirror");
  expect_one_line_error(run_cli("fetch nosuchnet"), "unknown model 'nosuchnet'");
}

TEST(Cli, TraceHasOneEventPerNode) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  std::string trace = test::temp_dir("trace") + "/t.json";
  auto r = run_cli("classify -m " + fp32_model() + " -i " + test::data_dir() + "/images/dog_224.jpg -t " + trace);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(trace);
  auto j = nlohmann::json::parse(in);
  int nodes = 0, runs = 0;
  for (const auto& e : j["traceEvents"]) {
    EXPECT_EQ(e["ph"], "X");
    if (e["cat"] == "node") {
      ++nodes;
      EXPECT_TRUE(e["args"].contains("op_type"));
      EXPECT_TRUE(e["args"].contains("backend"));
    }
    if (e["cat"] == "run") ++runs;
  }
  EXPECT_EQ(runs, 1);
  // MobileNetV2 after fusion: 52 fused convs + GAP + Flatten-ish + MatMul/Add head; every executed node once.
  EXPECT_GT(nodes, 50);
}

}  // namespace
}  // namespace inr

namespace inr {
namespace {

TEST(Cli, ListTables) {
  auto cal = test::run_cli("list calibrators");
  ASSERT_EQ(cal.exit_code, 0) << cal.err;
  for (const char* name : {"minmax", "percentile", "entropy", "l2", "tf-enhanced"})
    EXPECT_NE(cal.out.find(name), std::string::npos) << name;
  auto presets = test::run_cli("list presets");
  ASSERT_EQ(presets.exit_code, 0);
  for (const char* name : {"torchvision", "caffe2", "caffe", "mxnet", "inception", "none"})
    EXPECT_NE(presets.out.find(name), std::string::npos) << name;
  auto ops = test::run_cli("list ops");
  ASSERT_EQ(ops.exit_code, 0);
  EXPECT_NE(ops.out.find("\nConv\n"), std::string::npos);
  EXPECT_NE(ops.out.find("com.microsoft.QLinearAdd"), std::string::npos);
  EXPECT_EQ(test::run_cli("list frobs").exit_code, 2);
}

}  // namespace
}  // namespace inr
