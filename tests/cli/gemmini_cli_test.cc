// The runner's Gemmini flow end to end (issue #11): `inr quantize --target gemmini` writes s8 symmetric,
// per-tensor weights; on that MobileNetV2, -x 0 (Gemmini's arithmetic on the CPU), -x 1 (OS tile model) and
// -x 2 (WS tile model) place every conv on the emulated Gemmini and give the same scores; contradicting
// flags and bad --systolic-config files are one-line errors. About 15 s (calibration on 8 images).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "onnx/onnx_io.h"
#include "ops/quant_util.h"
#include "test_util.h"

namespace inr {
namespace {

std::string fp32_model() { return test::data_dir() + "/models/mobilenetv2-12-int8-dequant-fp32.onnx"; }

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  return out;
}

TEST(GemminiCli, QuantizedMobileNetV2GivesTheSameScoresInEveryMode) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  const std::string dir = test::temp_dir("gemmini_cli");
  const std::string model = dir + "/mnv2_gemmini.onnx";
  auto q = test::run_cli("quantize -m " + fp32_model() + " -o " + model + " --mode static --target gemmini --calib-data " +
                         test::data_dir() + "/imagenet/samples --calib-count 8 --json");
  ASSERT_EQ(q.exit_code, 0) << q.err;
  auto summary = nlohmann::json::parse(q.out);
  EXPECT_EQ(summary["target"], "gemmini");
  EXPECT_EQ(summary["weights"]["granularity"], "per-tensor");
  EXPECT_EQ(summary["activations"]["type"], "s8");
  EXPECT_EQ(summary["activations"]["symmetric"], true);
  // Every QuantizeLinear zero point is 0 and every scale one value.
  auto g = import_onnx_file(model);
  ASSERT_TRUE(g.is_ok()) << g.status().message();
  int q_nodes = 0;
  for (const auto& n : (*g)->nodes()) {
    if (n->op != Op::kQuantizeLinear && n->op != Op::kDequantizeLinear) continue;
    ++q_nodes;
    EXPECT_EQ(n->inputs[1]->constant.numel(), 1) << n->label();
    if (n->input(2)) EXPECT_EQ(load_qint(n->input(2)->constant, 0), 0) << n->label();
  }
  EXPECT_GT(q_nodes, 100);

  const std::string images = test::data_dir() + "/images/dog.jpg " + test::data_dir() + "/images/cat.png";
  std::vector<nlohmann::json> first;
  for (const char* x : {"0", "1", "2"}) {
    auto r = test::run_cli("classify -m " + model + " -i " + images + " --json -k 5 -d 1 -x " + x);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // All 52 convolutions (with their ReLU6 folded) and the 10 residual adds run on the emulated Gemmini.
    EXPECT_NE(r.err.find(std::string("on systolic-") + (x[0] == '0' ? "cpu" : x[0] == '1' ? "os" : "ws")),
              std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("QLinearConv"), std::string::npos) << "a conv fell back: " << r.err;
    auto lines = json_lines(r.out);
    ASSERT_EQ(lines.size(), 4u);
    if (first.empty()) {
      first = lines;
      EXPECT_EQ(lines[1]["top"][0], 258) << lines[1];  // Samoyed
      continue;
    }
    for (size_t i = 1; i < 3; ++i) {
      EXPECT_EQ(lines[i]["top"], first[i]["top"]) << "-x " << x;
      EXPECT_EQ(lines[i]["scores"], first[i]["scores"]) << "-x " << x;
    }
  }
  // bench -x 2 --json carries the cycle model's numbers; -x 0 (no cycle model) does not.
  auto b = test::run_cli("bench -m " + model + " -x 2 --runs 1 --warmup 0 --json");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  auto r = nlohmann::json::parse(b.out)["results"][0];
  ASSERT_TRUE(r.contains("cycles")) << r;
  const double cycles = r["cycles"].get<double>(), util = r["utilization"].get<double>();
  EXPECT_GT(cycles, 0);
  EXPECT_GT(util, 0);
  EXPECT_LE(util, 1);
  EXPECT_NEAR(r["fps"].get<double>(), r["clock_hz"].get<double>() / cycles, 1e-9 * r["fps"].get<double>());
  // Never faster than every MAC on every PE each cycle.
  EXPECT_GE(cycles, r["accelerator_macs"].get<double>() / 256);
  auto b0 = test::run_cli("bench -m " + model + " -x 0 --runs 1 --warmup 0 --json");
  ASSERT_EQ(b0.exit_code, 0) << b0.err;
  EXPECT_FALSE(nlohmann::json::parse(b0.out)["results"][0].contains("cycles"));
}

TEST(GemminiCli, ContradictingFlagsAndBadConfigsAreOneLineErrors) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  const std::string dir = test::temp_dir("gemmini_cli_errors");
  const std::string base = "quantize -m " + fp32_model() + " -o " + dir + "/x.onnx --calib-data " + test::data_dir() +
                           "/imagenet/samples --target gemmini ";
  test::expect_one_line_error(test::run_cli(base + "--mode static --act u8"), "--target gemmini implies");
  test::expect_one_line_error(test::run_cli(base + "--mode static --weight u8"), "drop --weight u8");
  test::expect_one_line_error(test::run_cli(base + "--mode dynamic"), "--mode static");
  std::ofstream(dir + "/bad.json") << R"({"dim": 12})";
  const std::string classify = "classify -m " + fp32_model() + " -i " + test::data_dir() + "/images/dog.jpg -x 2 ";
  test::expect_one_line_error(test::run_cli(classify + "--systolic-config " + dir + "/bad.json"), "dim");
  test::expect_one_line_error(test::run_cli(classify + "--systolic-config " + dir + "/missing.json"), "missing.json");
  // A valid config (a 32x32 array) runs.
  std::ofstream(dir + "/big.json") << R"({"dim": 32, "sp_bytes": 524288, "acc_bytes": 131072})";
  auto r = test::run_cli(classify + "--systolic-config " + dir + "/big.json --json -k 1");
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

}  // namespace
}  // namespace inr
