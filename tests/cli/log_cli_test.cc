// Logging: `-d 0..4` and INR_LOG (when -d is absent) make the library say on stderr what it did: the passes
// with their counts, where every node runs and why, threads, memory, compile per input shape.
#include <gtest/gtest.h>

#include <fstream>

#include <onnx/onnx_pb.h>

#include "core/npy.h"
#include "onnx_test_util.h"
#include "test_util.h"

namespace inr {
namespace {

using test::CliResult;

// A small model with something for every pass and a node oneDNN refuses:
//   x [1,2,3,3] -> Identity -> Conv (1x1, constant W) -> BatchNormalization -> Relu
//     -> Softmax (opset 11, axis 1 of 4: flattens, so not a one-axis softmax; oneDNN refuses it) -> y
std::string write_model() {
  onnx::ModelProto m;
  m.set_ir_version(7);
  m.add_opset_import()->set_version(11);
  auto* g = m.mutable_graph();
  g->set_name("log_model");
  auto value_info = [](onnx::ValueInfoProto* vi, const std::string& name) {
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    for (int64_t d : {1, 2, 3, 3}) tt->mutable_shape()->add_dim()->set_dim_value(d);
  };
  value_info(g->add_input(), "x");
  value_info(g->add_output(), "y");
  auto initializer = [&](const std::string& name, std::vector<int64_t> dims, std::vector<float> values) {
    auto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    for (float v : values) t->add_float_data(v);
  };
  initializer("w", {2, 2, 1, 1}, {1.f, 0.5f, -0.5f, 2.f});
  initializer("gamma", {2}, {1.f, 0.5f});
  initializer("beta", {2}, {0.1f, -0.2f});
  initializer("mean", {2}, {0.3f, 0.f});
  initializer("var", {2}, {1.f, 4.f});
  auto node = [&](const std::string& name, const std::string& op, std::vector<std::string> in, const std::string& out) {
    auto* n = g->add_node();
    n->set_name(name);
    n->set_op_type(op);
    for (const auto& i : in) n->add_input(i);
    n->add_output(out);
    return n;
  };
  node("id", "Identity", {"x"}, "x1");
  node("conv", "Conv", {"x1", "w"}, "c");
  node("bn", "BatchNormalization", {"c", "gamma", "beta", "mean", "var"}, "b");
  node("relu", "Relu", {"b"}, "r");
  auto* sm = node("softmax", "Softmax", {"r"}, "y");
  auto* axis = sm->add_attribute();
  axis->set_name("axis");
  axis->set_type(onnx::AttributeProto::INT);
  axis->set_i(1);
  const std::string dir = test::temp_dir("log_cli");
  const std::string path = dir + "/model.onnx";
  test::save_model(path, m);
  Tensor x = test::random_f32({1, 2, 3, 3}, 5);
  EXPECT_TRUE(write_npy(dir + "/x.npy", x).is_ok());
  return dir;
}

const std::string& model_dir() {
  static const std::string dir = write_model();
  return dir;
}

// `inr run` on the model with INR_LOG set to `env` (unset when empty) and extra flags.
CliResult run_model(const std::string& env, const std::string& flags) {
  const std::string& d = model_dir();
  return test::run_shell("env -u INR_LOG " + (env.empty() ? "" : "INR_LOG=" + env + " ") + test::cli_path() +
                         " run -m " + d + "/model.onnx --input " + d + "/x.npy --output-dir " + d + "/out " + flags);
}

bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

int count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

TEST(LogCli, DebugLogsPassCountsAndEveryPlacementWithItsReason) {
  CliResult r = run_model("", "-d 0");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string& e = r.err;
  // Passes and what they changed.
  EXPECT_TRUE(has(e, "inr: info: pass canonicalize: 1 Identity/Dropout/no-op Cast removed, 1 BatchNorm folded into Conv"))
      << e;
  EXPECT_TRUE(has(e, "inr: debug: canonicalize: folded node bn (BatchNormalization) into node conv (Conv)")) << e;
  EXPECT_TRUE(has(e, "inr: info: pass fuse: 1 Conv+Relu fused into FusedConv")) << e;
  EXPECT_TRUE(has(e, "inr: info: passes at -O 99: 5 nodes -> 2")) << e;
  // Every node that runs is placed, with the reason; the Softmax falls back with oneDNN's reason.
  EXPECT_EQ(count(e, "inr: debug: place "), 2) << e;
  EXPECT_TRUE(has(e, "inr: debug: place node conv (FusedConv) -> onednn (the first backend, and it supports it)")) << e;
  EXPECT_TRUE(has(e, "inr: debug: place node softmax (Softmax) -> reference (onednn does not support it: opset 11 "
                     "Softmax flattens at axis 1 of 4: a one-axis softmax only at the last axis)"))
      << e;
  EXPECT_TRUE(has(e, "inr: info: placement: 2 partitions, 1 on onednn, 1 on reference (refused by a preferred "
                     "backend: 1 Softmax; -d 0 says why)"))
      << e;
  // Threads, memory, compile per input shape.
  EXPECT_TRUE(has(e, "inr: info: session: backends onednn, reference")) << e;
  EXPECT_TRUE(has(e, " thread")) << e;
  EXPECT_TRUE(has(e, "inr: info: memory: arena ")) << e;
  EXPECT_TRUE(has(e, "inr: info: compile for input shapes [1,2,3,3]")) << e;
  EXPECT_TRUE(has(e, "inr: info: compiled for [1,2,3,3] in ")) << e;
  // Every line is a log line.
  EXPECT_EQ(count(e, "\n"), count(e, "inr: info: ") + count(e, "inr: debug: ")) << e;
}

TEST(LogCli, InfoIsSummaryOnly) {
  CliResult r = run_model("", "-d 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.err, "inr: info: placement: 2 partitions")) << r.err;
  EXPECT_TRUE(has(r.err, "inr: info: pass fuse: 1 Conv+Relu")) << r.err;
  EXPECT_FALSE(has(r.err, "debug:")) << r.err;
}

TEST(LogCli, QuietAndDefaultPrintNothingForAGoodRun) {
  for (const char* flags : {"-d 4", "-d 2", "-d 3", ""}) {
    CliResult r = run_model("", flags);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "") << "flags '" << flags << "'";
  }
}

TEST(LogCli, InrLogSetsTheLevelWhenDebugFlagIsAbsent) {
  CliResult debug = run_model("debug", "");
  ASSERT_EQ(debug.exit_code, 0) << debug.err;
  EXPECT_EQ(count(debug.err, "inr: debug: place "), 2) << debug.err;
  CliResult info = run_model("1", "");
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_TRUE(has(info.err, "inr: info: placement:")) << info.err;
  EXPECT_FALSE(has(info.err, "debug:")) << info.err;
  EXPECT_EQ(run_model("quiet", "").err, "");
  // -d wins over INR_LOG.
  CliResult flag = run_model("debug", "-d 4");
  ASSERT_EQ(flag.exit_code, 0) << flag.err;
  EXPECT_EQ(flag.err, "");
}

TEST(LogCli, BadInrLogIsOneErrorLine) {
  test::expect_one_line_error(run_model("verbose", ""), "INR_LOG: 'verbose' is not a log level");
  test::expect_one_line_error(run_model("5", "-d 0"), "INR_LOG");
}

TEST(LogCli, ClassifyDebugPlacesEveryNode) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  const std::string cmd = "env -u INR_LOG " + test::cli_path() + " classify -m " + test::data_dir() +
                          "/models/mobilenetv2-12-int8-dequant-fp32.onnx -i " + test::data_dir() + "/images/cat.png";
  CliResult r = test::run_shell(cmd + " -d 0");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "tiger cat")) << r.out;  // the result on stdout, unchanged
  // 105 nodes: 4 folded (the Shape -> Reshape idiom), 45 absorbed by fusion, the classifier's MatMul + bias
  // Add made one Gemm, 55 placed.
  EXPECT_TRUE(has(r.err, "inr: info: pass constant folding: 4 nodes folded")) << r.err;
  EXPECT_TRUE(has(r.err, "inr: info: pass fuse_transformer: 0 LayerNormalization, 0 Gelu, 1 MatMul+Add -> Gemm fused")) << r.err;
  EXPECT_TRUE(has(r.err, "inr: info: pass fuse: 10 Conv+Add, 35 Conv+Clip fused into FusedConv")) << r.err;
  EXPECT_EQ(count(r.err, "inr: debug: place "), 55) << r.err;
  EXPECT_EQ(count(r.err, " -> onednn (the first backend, and it supports it)"), 55) << r.err;
  EXPECT_TRUE(has(r.err, "inr: info: placement: 1 partition, 55 on onednn")) << r.err;
  CliResult quiet = test::run_shell(cmd + " -d 4");
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.err, "");
  EXPECT_TRUE(has(quiet.out, "tiger cat")) << quiet.out;
}

}  // namespace
}  // namespace inr
