// End-to-end tests of `inr compare` with more than two sides: the fp32 MobileNetV2 against fp16, dynamic
// and static int8 variants written by `inr quantize`, the zoo int8 model and ORT's prediction files. The
// two-sided report (agreement, flips, --out-a) is covered in eval_test.cc.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace inr {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::expect_one_line_error;
using test::run_cli;

std::string fp32_model() { return test::data_dir() + "/models/mobilenetv2-12-int8-dequant-fp32.onnx"; }
std::string int8_model() { return test::data_dir() + "/models/mobilenetv2-12-int8.onnx"; }
std::string labels_tsv() { return test::data_dir() + "/imagenet/labels.tsv"; }
std::string dog() { return test::data_dir() + "/images/dog.jpg"; }
std::string reference_tsv(const std::string& model) {
  return test::data_dir() + "/reference/" + model + "_imagenet_top5.tsv";
}
const std::string kThreads = " --threads 2 --decode-threads 1 ";

// The fp16 / dynamic / static variants of the fp32 model, written once for the whole suite.
class CompareN : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!test::has_data()) return;
    dir_ = test::temp_dir("compare_n");
    const std::string q = "quantize -m " + fp32_model() + " -o " + dir_;
    for (const std::string& args :
         {q + "/fp16.onnx --mode fp16", q + "/dynamic.onnx --mode dynamic",
          q + "/static.onnx --mode static --per-channel --calib-count 4 --calib-data " + test::data_dir() +
              "/imagenet/samples"}) {
      auto r = run_cli(args);
      ASSERT_EQ(r.exit_code, 0) << args << "\n" << r.err;
    }
  }
  void SetUp() override {
    if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  }
  static std::string fp16() { return dir_ + "/fp16.onnx"; }
  static std::string dynamic() { return dir_ + "/dynamic.onnx"; }
  static std::string static_int8() { return dir_ + "/static.onnx"; }
  static std::string dir_;
};
std::string CompareN::dir_;

int64_t params_total(const json& by_dtype) {
  int64_t n = 0;
  for (const auto& [dt, v] : by_dtype.items()) n += v.get<int64_t>();
  return n;
}

TEST_F(CompareN, FourModelsOneRowEachWithProvenance) {
  const std::vector<std::string> paths = {fp32_model(), fp16(), dynamic(), static_int8()};
  std::string args = "compare";
  for (const std::string& p : paths) args += " " + p;
  auto r = run_cli(args + " -i " + dog() + " --data " + labels_tsv() + kThreads +
                   "--limit 6 --batch 2 --latency-runs 3 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  json j = json::parse(r.out);

  // Provenance and how everything was measured.
  EXPECT_EQ(j["schema"], json({{"name", "inr.compare"}, {"version", 1}}));
  EXPECT_FALSE(j["inr_version"].get<std::string>().empty());
  EXPECT_FALSE(j["cpu_tier"].get<std::string>().empty());
  EXPECT_EQ(j["threads"], 2);
  EXPECT_EQ(j["preprocess"]["preset"], "torchvision");
  EXPECT_EQ(j["preprocess"]["crop"], json({224, 224}));
  EXPECT_EQ(j["dataset"]["root"], labels_tsv());
  EXPECT_EQ(j["dataset"]["images"], 6);  // after --limit
  EXPECT_EQ(j["dataset"]["limit"], 6);
  EXPECT_EQ(j["dataset"]["fingerprint"].get<std::string>().size(), 64u);
  EXPECT_EQ(j["dataset"]["compared"], 6);
  EXPECT_EQ(j["image"], dog());
  EXPECT_EQ(j["latency"], json({{"batch", 2}, {"runs", 3}, {"warmup", 2}, {"order", "round-robin"}}));
  // The two-sided report's pair fields belong to two sides only.
  for (const char* key : {"a", "b", "flips", "top1_mcnemar"}) EXPECT_FALSE(j.contains(key)) << key;

  // One entry per model, in the order given.
  const json& models = j["models"];
  ASSERT_EQ(models.size(), 4u);
  for (size_t k = 0; k < 4; ++k) {
    SCOPED_TRACE(paths[k]);
    const json& m = models[k];
    EXPECT_EQ(m["name"], std::string(1, static_cast<char>('A' + k)));
    EXPECT_EQ(m["kind"], "model");
    EXPECT_EQ(m["path"], paths[k]);
    EXPECT_EQ(m["bytes"].get<uintmax_t>(), fs::file_size(paths[k]));
    EXPECT_TRUE(std::regex_match(m["sha256"].get<std::string>(), std::regex("[0-9a-f]{64}")));
    EXPECT_EQ(m["params"].get<int64_t>(), params_total(m["params_by_dtype"]));
    const json& lat = m["latency_ms"];
    EXPECT_EQ(lat["batch"], 2);
    EXPECT_EQ(lat["runs"], 3);
    EXPECT_GT(lat["min"].get<double>(), 0.0);
    EXPECT_LE(lat["min"].get<double>(), lat["p50"].get<double>());
    EXPECT_LE(lat["p50"].get<double>(), lat["p90"].get<double>());
    EXPECT_LE(lat["p90"].get<double>(), lat["max"].get<double>());
    EXPECT_EQ(m["accuracy"]["images"], 6);
    EXPECT_EQ(m["accuracy"]["failed"], 0);
    ASSERT_EQ(m["top5_image"].size(), 5u);
    if (k == 0) {
      EXPECT_FALSE(m.contains("vs_first"));
    } else {
      ASSERT_TRUE(m.contains("vs_first"));
      const json& v = m["vs_first"];
      const double delta = m["accuracy"]["top1"].get<double>() - models[0]["accuracy"]["top1"].get<double>();
      EXPECT_NEAR(v["delta"].get<double>(), delta, 1e-12);
      EXPECT_LE(v["ci"][0].get<double>(), v["delta"].get<double>());
      EXPECT_GE(v["ci"][1].get<double>(), v["delta"].get<double>());
      EXPECT_GE(v["mcnemar_p"].get<double>(), 0.0);
      EXPECT_LE(v["mcnemar_p"].get<double>(), 1.0);
      EXPECT_EQ(v["mcnemar_p"], v["top1"]["p_value"]);
    }
  }
  // The staged fp32 file's own sha256 (MANIFEST.md), and its initializers as counted by the onnx Python
  // package: 3,487,886 f32 weights and the 2 i64 of the Reshape shape.
  EXPECT_EQ(models[0]["sha256"], "7c5d4aca72978a5a05ea29c36b30c6bba4bf3837bdf24d0913faa1c6ea68f144");
  EXPECT_EQ(models[0]["params_by_dtype"], json({{"f32", 3487886}, {"i64", 2}}));
  // fp16 converts the float initializers: the same count, now f16.
  EXPECT_EQ(models[1]["params"], models[0]["params"]);
  EXPECT_GE(models[1]["params_by_dtype"].value("f16", 0), 3400000);
  EXPECT_EQ(models[1]["params_by_dtype"].value("f32", 0), 0);
  // Static int8 with per-channel s8 weights.
  EXPECT_GE(models[3]["params_by_dtype"].value("i8", 0), 3400000);

  // Each model's top-5 on the image is exactly what `inr classify` prints for it.
  for (size_t k = 0; k < 4; ++k) {
    SCOPED_TRACE(paths[k]);
    auto c = run_cli("classify -m " + paths[k] + " -i " + dog() + " --threads 2 --json");
    ASSERT_EQ(c.exit_code, 0) << c.err;
    // classify --json: a header line, the image's record, a summary line.
    std::stringstream lines(c.out);
    std::string header, line;
    std::getline(lines, header);
    std::getline(lines, line);
    json rec = json::parse(line);
    ASSERT_EQ(rec["top"].size(), 5u);
    for (size_t i = 0; i < 5; ++i) {
      EXPECT_EQ(models[k]["top5_image"][i]["index"], rec["top"][i]) << i;
      EXPECT_EQ(models[k]["top5_image"][i]["name"], rec["names"][i]) << i;
      // classify's records round scores to 6 decimals
      EXPECT_NEAR(models[k]["top5_image"][i]["score"].get<double>(), rec["scores"][i].get<double>(), 1e-6) << i;
    }
  }
  EXPECT_EQ(models[0]["top5_image"][0]["name"], "Samoyed");  // MANIFEST.md: 258 Samoyed 77.2%
}

// A model against itself, anywhere in the list: delta 0 with a zero-width interval, p = 1, full agreement.
TEST_F(CompareN, ModelAgainstItselfIsZeroDeltaPOne) {
  auto r = run_cli("compare " + fp32_model() + " " + fp16() + " " + fp32_model() + " --data " + labels_tsv() +
                   kThreads + "--limit 4 --latency-runs 0 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  ASSERT_EQ(j["models"].size(), 3u);
  const json& self = j["models"][2]["vs_first"];
  EXPECT_EQ(self["delta"], 0.0);
  EXPECT_EQ(self["ci"], json({0.0, 0.0}));
  EXPECT_EQ(self["mcnemar_p"], 1.0);
  EXPECT_EQ(self["top1_agreement"], 1.0);
  EXPECT_EQ(self["top5"]["delta"], 0.0);
  EXPECT_EQ(self["top5"]["p_value"], 1.0);
  // --latency-runs 0 and no -i: neither latency nor top-5.
  EXPECT_FALSE(j.contains("latency"));
  EXPECT_FALSE(j.contains("image"));
  for (const json& m : j["models"]) {
    EXPECT_FALSE(m.contains("latency_ms"));
    EXPECT_FALSE(m.contains("top5_image"));
  }

  // The same with ORT's prediction files only (no inference): all 1166 images.
  const std::string ref = reference_tsv("mobilenetv2-12-int8-dequant-fp32");
  auto files = run_cli("compare " + ref + " " + reference_tsv("mobilenetv2-12-int8") + " " + ref + " --json");
  ASSERT_EQ(files.exit_code, 0) << files.err;
  json fj = json::parse(files.out);
  EXPECT_EQ(fj["dataset"]["compared"], 1166);
  const json& fself = fj["models"][2]["vs_first"];
  EXPECT_EQ(fself["delta"], 0.0);
  EXPECT_EQ(fself["mcnemar_p"], 1.0);
  EXPECT_EQ(fself["top1_agreement"], 1.0);
  EXPECT_FALSE(fj.contains("preprocess"));  // nothing was run
}

// Prediction files sit in the table with their accuracy only; the model beside them has everything. An
// eval journal names the model that made it.
TEST_F(CompareN, PredictionFilesGiveAccuracyOnly) {
  const std::string journal = test::temp_dir("compare_files") + "/fp32.jsonl";
  auto e = run_cli("eval -m " + fp32_model() + " --data " + labels_tsv() + kThreads + "--limit 6 --out " + journal);
  ASSERT_EQ(e.exit_code, 0) << e.err;
  auto r = run_cli("compare " + int8_model() + " " + journal + " " + reference_tsv("mobilenetv2-12-int8") +
                   " --data " + labels_tsv() + kThreads + "--limit 6 --latency-runs 2 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  const json& models = j["models"];
  ASSERT_EQ(models.size(), 3u);
  EXPECT_EQ(models[0]["kind"], "model");
  // The zoo int8 QOperator model's initializers, as counted by the onnx Python package.
  EXPECT_EQ(models[0]["params_by_dtype"],
            json({{"f32", 18123}, {"i8", 3487816}, {"u8", 1067}, {"i32", 17056}, {"i64", 2}}));
  EXPECT_TRUE(models[0].contains("latency_ms"));
  for (size_t k = 1; k < 3; ++k) {
    EXPECT_EQ(models[k]["kind"], "predictions");
    for (const char* key : {"params", "params_by_dtype", "latency_ms", "top5_image"})
      EXPECT_FALSE(models[k].contains(key)) << key;
    EXPECT_EQ(models[k]["accuracy"]["images"], 6);
    EXPECT_TRUE(models[k].contains("vs_first"));
  }
  EXPECT_EQ(models[1]["made_by"]["sha256"], "7c5d4aca72978a5a05ea29c36b30c6bba4bf3837bdf24d0913faa1c6ea68f144");
  EXPECT_FALSE(models[2].contains("made_by"));  // ORT's file has no header
}

// The table: one row per side in order, columns only for what was asked.
TEST_F(CompareN, TextTableHasARowPerModelAndOnlyTheColumnsAsked) {
  auto r = run_cli("compare " + fp32_model() + " " + int8_model() + " " + fp16() + " -i " + dog() + kThreads +
                   "--latency-runs 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> rows;
  std::string header;
  std::stringstream ss(r.out);
  for (std::string line; std::getline(ss, line);) {
    if (line.find("params") != std::string::npos) header = line;
    if (line.size() > 3 && line[0] >= 'A' && line[0] <= 'Z' && line[1] == ' ') rows.push_back(line);
  }
  ASSERT_EQ(rows.size(), 3u) << r.out;
  EXPECT_EQ(rows[0].rfind("A  mobilenetv2-12-int8-dequant-fp32.onnx", 0), 0u) << rows[0];
  EXPECT_EQ(rows[1].rfind("B  mobilenetv2-12-int8.onnx", 0), 0u) << rows[1];
  EXPECT_EQ(rows[2].rfind("C  fp16.onnx", 0), 0u) << rows[2];
  EXPECT_NE(rows[0].find("3.5M f32"), std::string::npos) << rows[0];
  EXPECT_NE(rows[1].find("3.5M i8 + 18.1k f32 + 17.1k i32"), std::string::npos) << rows[1];
  EXPECT_NE(rows[0].find("258 Samoyed 0.77"), std::string::npos) << rows[0];
  EXPECT_NE(header.find("p50 ms"), std::string::npos) << header;
  EXPECT_NE(header.find("top-5 on dog.jpg"), std::string::npos) << header;
  EXPECT_EQ(header.find("top-1 %"), std::string::npos) << header;  // no --data, no accuracy
  EXPECT_NE(r.out.find("at batch 1, alternating between the models"), std::string::npos) << r.out;

  auto acc = run_cli("compare " + fp32_model() + " " + fp16() + " " + fp32_model() + " --data " + labels_tsv() +
                     kThreads + "--limit 4 --latency-runs 0");
  ASSERT_EQ(acc.exit_code, 0) << acc.err;
  EXPECT_NE(acc.out.find("top-1 % [95% CI]"), std::string::npos) << acc.out;
  EXPECT_NE(acc.out.find("top-1 vs A [95% CI]"), std::string::npos) << acc.out;
  EXPECT_EQ(acc.out.find("p50 ms"), std::string::npos) << acc.out;
  EXPECT_EQ(acc.out.find("top-5 on"), std::string::npos) << acc.out;
  EXPECT_NE(acc.out.find("top-1 C - A = +0.00% [+0.00, +0.00]; only A right 0, only C right 0; McNemar exact "
                         "binomial p = 1"),
            std::string::npos)
      << acc.out;
}

// A dynamic-batch model and the same weights with a fixed batch of 1: the fixed batch decides for both
// (before, the dynamic model's default of 16 was tried on the fixed one and refused).
TEST_F(CompareN, FixedBatchModelSetsTheBatchForAll) {
  const std::string dyn = dir_ + "/r18_dyn.onnx", b1 = dir_ + "/r18_b1.onnx";
  ASSERT_EQ(run_cli("synth resnet18 --seed 3 --batch dynamic -o " + dyn).exit_code, 0);
  ASSERT_EQ(run_cli("synth resnet18 --seed 3 --batch 1 -o " + b1).exit_code, 0);
  auto r = run_cli("compare " + dyn + " " + b1 + " -i " + dog() + " --data " + labels_tsv() + kThreads +
                   "--limit 3 --latency-runs 1 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["latency"]["batch"], 1);
  EXPECT_EQ(j["models"][1]["accuracy"]["images"], 3);
  EXPECT_EQ(j["models"][1]["vs_first"]["top1_agreement"], 1.0);
  EXPECT_EQ(j["models"][0]["top5_image"], j["models"][1]["top5_image"]);
}

TEST_F(CompareN, BadInputsAreOneLine) {
  const std::string data = " --data " + labels_tsv() + " --limit 2 ";
  expect_one_line_error(run_cli("compare " + fp32_model() + data), "at least two models or prediction files, got 1");
  expect_one_line_error(run_cli("compare " + fp32_model() + " /nonexistent/b.onnx " + fp16() + data),
                        "/nonexistent/b.onnx");
  expect_one_line_error(run_cli("compare " + fp32_model() + " " + fp16() + " -i /nonexistent/dog.jpg"),
                        "/nonexistent/dog.jpg");
  expect_one_line_error(run_cli("compare " + fp32_model() + " " + fp16() + " " + fp32_model() + data + "--flips " +
                                test::temp_dir("compare_bad") + "/f.tsv"),
                        "exactly two sides, got 3");
  const std::string ref = reference_tsv("mobilenetv2-12-int8");
  expect_one_line_error(run_cli("compare " + ref + " " + ref + " -i " + dog()), "needs at least one model");
  expect_one_line_error(run_cli("compare " + fp32_model() + " " + ref + " -i " + dog()), "--data is needed");
  auto help = run_cli("compare --help");
  EXPECT_NE(help.out.find("[default: 20]"), std::string::npos) << help.out;  // --latency-runs
}

}  // namespace
}  // namespace inr
