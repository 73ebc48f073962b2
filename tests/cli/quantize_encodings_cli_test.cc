// `inr quantize --export-encodings` / `--encodings FILE` (issue #10): AIMET .encodings (layout 0.6.1) beside the
// model, and a QDQ model rebuilt from one without calibration. Round trip: export then import gives the same
// model bytes (8- and 4-bit weights). Bad files are one-line errors naming the tensor and field, with nothing
// written.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace inr {
namespace {

namespace fs = std::filesystem;

std::string fp32_model() { return test::data_dir() + "/models/mobilenetv2-12-int8-dequant-fp32.onnx"; }
std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class QuantizeEncodingsCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::has_data()) GTEST_SKIP() << "shared data not found (set INR_DATA_DIR)";
    dir_ = test::temp_dir("quantize_encodings_cli");
  }
  // Quantizes with calibration and --export-encodings into dir_/NAME.onnx (+ NAME.encodings).
  void export_model(const std::string& name, const std::string& flags) {
    auto r = test::run_cli("quantize -m " + fp32_model() + " -o " + dir_ + "/" + name + ".onnx --mode static " +
                           "--calib-count 2 --calib-data " + test::data_dir() + "/imagenet/samples --export-encodings " +
                           flags);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("wrote " + dir_ + "/" + name + ".encodings"), std::string::npos) << r.out;
  }
  std::string dir_;
};

class EncodingsRoundTrip : public QuantizeEncodingsCli, public ::testing::WithParamInterface<int> {};

TEST_P(EncodingsRoundTrip, ExportThenImportGivesTheSameModelBytes) {
  const int bits = GetParam();
  const std::string name = "w" + std::to_string(bits);
  ASSERT_NO_FATAL_FAILURE(export_model(name, "--weight-bits " + std::to_string(bits)));
  const std::string enc = dir_ + "/" + name + ".encodings";
  nlohmann::json j = nlohmann::json::parse(slurp(enc));
  EXPECT_EQ(j["version"], "0.6.1");
  // The stem conv: 32 output channels, one symmetric entry each, on AIMET's grid (offset -2^(bits-1)).
  const nlohmann::json& w = j["param_encodings"]["475_fp32"];
  ASSERT_EQ(w.size(), 32u) << j["param_encodings"].dump().substr(0, 300);
  for (const auto& e : w) {
    EXPECT_EQ(e["bitwidth"], bits);
    EXPECT_EQ(e["dtype"], "int");
    EXPECT_EQ(e["is_symmetric"], "True");
    EXPECT_EQ(e["offset"], -(1 << (bits - 1)));
    EXPECT_DOUBLE_EQ(e["min"].get<double>(), e["offset"].get<double>() * e["scale"].get<double>());
  }
  // Activations: per tensor, 8-bit u8 (offset = -zero point).
  const nlohmann::json& x = j["activation_encodings"]["input"];
  ASSERT_EQ(x.size(), 1u);
  EXPECT_EQ(x[0]["bitwidth"], 8);
  EXPECT_LE(x[0]["offset"].get<int>(), 0);
  EXPECT_GE(x[0]["offset"].get<int>(), -255);
  EXPECT_EQ(j["param_encodings"].size(), 53u) << "52 convolutions and the classifier";

  auto r = test::run_cli("quantize -m " + fp32_model() + " -o " + dir_ + "/back.onnx --mode static --encodings " + enc +
                         " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["calibrator"], "encodings");
  EXPECT_EQ(summary["images_used"], 0);
  EXPECT_EQ(summary["left_float"].size(), 0u);
  EXPECT_TRUE(slurp(dir_ + "/back.onnx") == slurp(dir_ + "/" + name + ".onnx")) << "the rebuilt model differs";
}

INSTANTIATE_TEST_SUITE_P(Bits, EncodingsRoundTrip, ::testing::Values(8, 4),
                         [](const auto& info) { return "w" + std::to_string(info.param); });

// Tensors without an entry are left float with a note; the rest is quantized from the file.
TEST_F(QuantizeEncodingsCli, MissingEntriesLeaveNodesFloat) {
  ASSERT_NO_FATAL_FAILURE(export_model("m", ""));
  nlohmann::json j = nlohmann::json::parse(slurp(dir_ + "/m.encodings"));
  j["param_encodings"].erase("475_fp32");
  std::ofstream(dir_ + "/partial.encodings") << j.dump();
  auto r = test::run_cli("quantize -m " + fp32_model() + " -o " + dir_ + "/p.onnx --mode static --encodings " + dir_ +
                         "/partial.encodings --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("no param encoding for weight '475_fp32'"), std::string::npos) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["left_float"].size(), 1u);
}

TEST_F(QuantizeEncodingsCli, BadFilesAreOneLineErrors) {
  ASSERT_NO_FATAL_FAILURE(export_model("m", ""));
  const nlohmann::json good = nlohmann::json::parse(slurp(dir_ + "/m.encodings"));
  struct Bad {
    std::string what, needle;
    std::function<void(nlohmann::json&)> edit;
  };
  const std::vector<Bad> bad = {
      {"unknown activation", "activation_encodings 'no_such_tensor' is not a tensor of the model",
       [](nlohmann::json& j) { j["activation_encodings"]["no_such_tensor"] = j["activation_encodings"]["input"]; }},
      {"unknown param", "param_encodings 'nope' is not an initializer of the model",
       [](nlohmann::json& j) { j["param_encodings"]["nope"] = j["param_encodings"]["475_fp32"]; }},
      {"bitwidth", "activation_encodings 'input': bitwidth 16 is not supported (activations: 8)",
       [](nlohmann::json& j) { j["activation_encodings"]["input"][0]["bitwidth"] = 16; }},
      {"weight bitwidth", "param_encodings '475_fp32' [0]: bitwidth 2 is not supported (weights: 8 or 4)",
       [](nlohmann::json& j) { j["param_encodings"]["475_fp32"][0]["bitwidth"] = 2; }},
      {"missing field", "activation_encodings 'input': missing field 'scale'",
       [](nlohmann::json& j) { j["activation_encodings"]["input"][0].erase("scale"); }},
      {"float", "float encodings are not supported",
       [](nlohmann::json& j) { j["activation_encodings"]["input"][0]["dtype"] = "float"; }},
      {"scale", "scale -1 must be finite and > 0",
       [](nlohmann::json& j) { j["activation_encodings"]["input"][0]["scale"] = -1; }},
      {"offset", "offset 5 is outside the 8-bit grid",
       [](nlohmann::json& j) { j["activation_encodings"]["input"][0]["offset"] = 5; }},
      {"version", "version \"1.0.0\" is not supported", [](nlohmann::json& j) { j["version"] = "1.0.0"; }},
  };
  for (const Bad& b : bad) {
    SCOPED_TRACE(b.what);
    nlohmann::json j = good;
    b.edit(j);
    std::ofstream(dir_ + "/bad.encodings") << j.dump();
    auto r = test::run_cli("quantize -m " + fp32_model() + " -o " + dir_ + "/o.onnx --mode static --encodings " + dir_ +
                           "/bad.encodings");
    test::expect_one_line_error(r, b.needle);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_FALSE(fs::exists(dir_ + "/o.onnx"));
  }
  std::ofstream(dir_ + "/junk.encodings") << "{not json";
  auto junk = test::run_cli("quantize -m " + fp32_model() + " -o " + dir_ + "/o.onnx --mode static --encodings " + dir_ +
                            "/junk.encodings");
  test::expect_one_line_error(junk, "junk.encodings: not valid JSON");
  auto both = test::run_cli("quantize -m " + fp32_model() + " -o " + dir_ + "/o.onnx --mode static --encodings " + dir_ +
                            "/m.encodings --calib-data " + test::data_dir() + "/imagenet/samples");
  test::expect_one_line_error(both, "--encodings replaces calibration: drop --calib-data");
  auto dyn = test::run_cli("quantize -m " + fp32_model() + " -o " + dir_ + "/o.onnx --mode dynamic --export-encodings");
  test::expect_one_line_error(dyn, "--encodings / --export-encodings need --mode static --format qdq");
  EXPECT_FALSE(fs::exists(dir_ + "/o.onnx"));
  EXPECT_FALSE(fs::exists(dir_ + "/o.encodings"));
}

}  // namespace
}  // namespace inr
