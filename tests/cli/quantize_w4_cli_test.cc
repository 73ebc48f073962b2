// `inr quantize --weight-bits 4` (issue #10): symmetric per-channel s4 weights on AIMET's grid (scale
// max|w| / 7, zero point 0) written as opset-21 INT4 initializers behind DequantizeLinear, IR 10, everything
// else as in the 8-bit QDQ model; contradicting flags are one-line errors. That ONNX Runtime loads and runs
// the file is tests/models/quant_ort_agreement_test.cc (qdq_minmax_w4a8).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <vector>

#include <nlohmann/json.hpp>

#include "ops/quant_util.h"
#include "onnx/onnx_io.h"
#include "test_util.h"

namespace inr {
namespace {

namespace fs = std::filesystem;

std::string fp32_model() { return test::data_dir() + "/models/mobilenetv2-12-int8-dequant-fp32.onnx"; }
std::string calib() { return " --mode static --calib-count 2 --calib-data " + test::data_dir() + "/imagenet/samples"; }

class QuantizeW4Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::has_data()) GTEST_SKIP() << "shared data not found (set INR_DATA_DIR)";
    dir_ = test::temp_dir("quantize_w4_cli");
  }
  std::string dir_;
};

TEST_F(QuantizeW4Cli, WritesInt4WeightsOnAimetsSymmetricGrid) {
  const std::string out = dir_ + "/w4.onnx", out8 = dir_ + "/w8.onnx";
  auto r = test::run_cli("quantize -m " + fp32_model() + " -o " + out + calib() + " --weight-bits 4 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["weights"]["type"], "s4");
  EXPECT_EQ(j["weights"]["bits"], 4);
  EXPECT_EQ(j["weights"]["granularity"], "per-channel");
  auto r8 = test::run_cli("quantize -m " + fp32_model() + " -o " + out8 + calib() + " --json");
  ASSERT_EQ(r8.exit_code, 0) << r8.err;
  EXPECT_EQ(nlohmann::json::parse(r8.out)["weights"]["bits"], 8);
  // Half the weight bytes: MobileNetV2's 3.5 M weights are most of the 8-bit file.
  EXPECT_LT(fs::file_size(out), fs::file_size(out8) * 6 / 10);

  auto g = import_onnx_file(out);
  ASSERT_TRUE(g.is_ok()) << g.status().message();
  EXPECT_EQ((*g)->opset, kOpset4Bit);
  EXPECT_EQ((*g)->ir_version, kIrVersion4Bit);
  auto f = import_onnx_file(fp32_model());
  ASSERT_TRUE(f.is_ok());
  std::map<std::string, const Tensor*> float_weights;
  for (const auto& v : (*f)->values())
    if (v->is_constant()) float_weights[v->name] = &v->constant;

  int int4_weights = 0;
  for (const auto& n : (*g)->nodes()) {
    if (n->op != Op::kDequantizeLinear || !n->inputs[0]->is_constant()) continue;
    const Tensor& q = n->inputs[0]->constant;
    if (q.dtype() != DType::kI4) continue;
    ++int4_weights;
    ASSERT_EQ(n->inputs.size(), 3u);
    const Tensor& scale = n->inputs[1]->constant;
    const Tensor& zp = n->inputs[2]->constant;
    ASSERT_EQ(zp.dtype(), DType::kI4);
    const std::string name = n->inputs[0]->name.substr(0, n->inputs[0]->name.size() - std::string("_quantized").size());
    ASSERT_TRUE(float_weights.count(name)) << name;
    const Tensor& w = *float_weights[name];
    ASSERT_EQ(w.shape(), q.shape());
    const int64_t axis = n->attr_int("axis", 1), channels = scale.numel();
    ASSERT_EQ(channels, q.dim(axis)) << name;  // Conv: axis 0 (output channels); the classifier MatMul: axis 1
    int64_t inner = 1;
    for (int64_t d = axis + 1; d < q.rank(); ++d) inner *= q.dim(d);
    std::vector<float> absmax(static_cast<size_t>(channels), 0.f);
    std::vector<int> qmax(static_cast<size_t>(channels), 0);
    for (int64_t i = 0; i < q.numel(); ++i) {
      const int64_t c = (i / inner) % channels;
      const float s = scale.data<float>()[c];
      absmax[c] = std::max(absmax[c], std::abs(w.data<float>()[i]));
      const int v = load_qint(q, i);
      qmax[c] = std::max(qmax[c], std::abs(v));
      ASSERT_GE(v, -7) << name;  // max|w| / 7: round to nearest never reaches -8
      ASSERT_LE(std::abs(static_cast<float>(v) * s - w.data<float>()[i]), s * 0.5001f) << name << " [" << i << "]";
    }
    for (int64_t c = 0; c < channels; ++c) {
      EXPECT_EQ(load_qint(zp, c), 0);
      if (absmax[c] == 0) continue;
      EXPECT_NEAR(scale.data<float>()[c], absmax[c] / 7, absmax[c] * 1e-6) << name << " channel " << c;
      EXPECT_EQ(qmax[c], 7) << name << " channel " << c;
    }
  }
  EXPECT_EQ(int4_weights, 53) << "52 convolutions and the classifier MatMul";
}

TEST_F(QuantizeW4Cli, ContradictingFlagsAreOneLineErrors) {
  const std::string base = "quantize -m " + fp32_model() + " -o " + dir_ + "/o.onnx --weight-bits 4";
  struct Bad {
    std::string flags, needle;
  };
  for (const Bad& b : std::vector<Bad>{
           {" --mode dynamic", "--weight-bits 4 needs --mode static"},
           {calib() + " --format qop", "--weight-bits 4 needs --format qdq"},
           {calib() + " --target avx2", "--weight-bits 4 takes no --target"},
           {calib() + " --weight u8", "drop --weight u8 / --reduce-range"},
           {calib() + " --reduce-range", "drop --weight u8 / --reduce-range"},
       }) {
    SCOPED_TRACE(b.flags);
    auto r = test::run_cli(base + b.flags);
    test::expect_one_line_error(r, b.needle);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_FALSE(fs::exists(dir_ + "/o.onnx"));
  }
  auto bits = test::run_cli("quantize -m " + fp32_model() + " -o " + dir_ + "/o.onnx --weight-bits 3" + calib());
  EXPECT_NE(bits.exit_code, 0);
  EXPECT_NE(bits.err.find("--weight-bits"), std::string::npos) << bits.err;
  EXPECT_FALSE(fs::exists(dir_ + "/o.onnx"));
}

}  // namespace
}  // namespace inr
