// `inr quantize` end to end: bad inputs give one `inr: error:` line, exit 1, and no output file; models
// written by fp16 / dynamic modes load and run in ONNX Runtime (static is covered by bench/quant_matrix.sh
// and tests/quant, which calibrate).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "test_util.h"

namespace inr {
namespace {

namespace fs = std::filesystem;

std::string fp32_model() { return test::data_dir() + "/models/mobilenetv2-12-int8-dequant-fp32.onnx"; }

// The shared check, and exit code 1 exactly.
void expect_error_exit_1(const test::CliResult& r, const std::string& needle) {
  test::expect_one_line_error(r, needle);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.err.rfind("inr: error: ", 0), 0u) << r.err;
}

class QuantizeCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::has_data()) GTEST_SKIP() << "shared data not found (set INR_DATA_DIR)";
    dir_ = test::temp_dir("quantize_cli");
  }
  std::string dir_;
};

TEST_F(QuantizeCli, EmptyCalibrationFolder) {
  fs::create_directories(dir_ + "/empty");
  auto r = test::run_cli("quantize -m " + fp32_model() + " -o " + dir_ + "/o.onnx --calib-data " + dir_ + "/empty");
  expect_error_exit_1(r, "no .jpg/.jpeg/.png images");
  EXPECT_FALSE(fs::exists(dir_ + "/o.onnx"));
}

TEST_F(QuantizeCli, MissingCalibrationFolder) {
  auto r = test::run_cli("quantize -m " + fp32_model() + " -o " + dir_ + "/o.onnx --calib-data " + dir_ + "/nope");
  expect_error_exit_1(r, "calibration data not found");
  EXPECT_FALSE(fs::exists(dir_ + "/o.onnx"));
}

TEST_F(QuantizeCli, UnreadableCalibrationImages) {
  fs::create_directories(dir_ + "/bad");
  std::ofstream(dir_ + "/bad/a.jpg") << "not a jpeg";
  auto r = test::run_cli("quantize -m " + fp32_model() + " -o " + dir_ + "/o.onnx --calib-data " + dir_ + "/bad");
  expect_error_exit_1(r, "none of the 1 calibration images could be used");
  EXPECT_FALSE(fs::exists(dir_ + "/o.onnx"));
}

TEST_F(QuantizeCli, AlreadyQuantizedModel) {
  auto r = test::run_cli("quantize --mode dynamic -m " + test::data_dir() + "/models/mobilenetv2-12-int8.onnx -o " + dir_ +
                         "/o.onnx");
  expect_error_exit_1(r, "already quantized");
  EXPECT_FALSE(fs::exists(dir_ + "/o.onnx"));
}

TEST_F(QuantizeCli, UnwritableOutput) {
  auto r = test::run_cli("quantize --mode fp16 -m " + fp32_model() + " -o /nonexistent_dir_inr/o.onnx");
  expect_error_exit_1(r, "does not exist");
}

TEST_F(QuantizeCli, StaticWithoutCalibrationData) {
  auto r = test::run_cli("quantize -m " + fp32_model() + " -o " + dir_ + "/o.onnx");
  expect_error_exit_1(r, "--calib-data");
}

TEST_F(QuantizeCli, OpWithoutIntegerFormIsLeftFloatWithAWarning) {
  auto r = test::run_cli("quantize --mode dynamic --op-types Conv,MatMul,Clip -m " + fp32_model() + " -o " + dir_ + "/d.onnx");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("left float"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("left float"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(dir_ + "/d.onnx"));
}

TEST_F(QuantizeCli, Fp16AndDynamicModelsRunInOrt) {
  if (!fs::exists(test::source_dir() + "/tools/ort/node_modules/onnxruntime-node/package.json"))
    GTEST_SKIP() << "onnxruntime-node not installed";
  for (const char* mode : {"fp16", "dynamic"}) {
    std::string out = dir_ + "/" + mode + ".onnx";
    auto r = test::run_cli(std::string("quantize --per-channel --mode ") + mode + " -m " + fp32_model() + " -o " + out);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("size:"), std::string::npos);
    // Five photos, preprocessed by the staging pipeline; ORT must load and run the model.
    auto o = test::run_shell("node " + test::source_dir() + "/tools/ort/ort_run.js bench " + out + " --batch 2 --runs 1 --warmup 0");
    EXPECT_EQ(o.exit_code, 0) << mode << ": " << o.err;
  }
}

}  // namespace
}  // namespace inr
