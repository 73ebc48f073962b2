// `inr quantize --recipe / --cle / --adaround / --bias-correction / --weight-bits / --report` and
// `inr quanteval` end to end (issue #10) on MobileNetV2 with a handful of images and few AdaRound
// iterations, so each test stays within seconds: bad combinations are one-line errors; the W4A8 recipe
// writes 4-bit-grid weights that run; the report lists every optimised layer; quanteval prints both models
// with the delta, its interval and McNemar's p.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "onnx/onnx_io.h"
#include "test_util.h"

namespace inr {
namespace {

namespace fs = std::filesystem;

std::string fp32_model() { return test::data_dir() + "/models/mobilenetv2-12-int8-dequant-fp32.onnx"; }
std::string samples() { return test::data_dir() + "/imagenet/samples"; }

// A labelled list (path TAB label) of the first `n` samples/ lines of imagenet/labels.tsv.
std::string sample_list(const std::string& dir, int n) {
  std::ifstream in(test::data_dir() + "/imagenet/labels.tsv");
  std::ofstream out(dir + "/samples.tsv");
  std::string line;
  int k = 0;
  while (k < n && std::getline(in, line)) {
    if (line.rfind("samples/", 0) != 0) continue;
    std::string path = line.substr(0, line.find('\t'));
    std::string rest = line.substr(line.find('\t') + 1);
    out << test::data_dir() << "/imagenet/" << path << "\t" << rest.substr(0, rest.find('\t')) << "\n";
    ++k;
  }
  return dir + "/samples.tsv";
}

// The DequantizeLinear nodes of a QDQ model's weights: a constant input of rank >= 2 (the biases are 1-D).
std::vector<const Node*> weight_dequantizers(const Graph& g) {
  std::vector<const Node*> out;
  for (const auto& n : g.nodes())
    if (n->op_type == "DequantizeLinear" && n->inputs[0]->is_constant() && n->inputs[0]->constant.rank() >= 2)
      out.push_back(n.get());
  return out;
}

class PtqCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::has_data()) GTEST_SKIP() << "shared data not found (set INR_DATA_DIR)";
    dir_ = test::temp_dir("ptq_cli");
  }
  std::string dir_;
};

TEST_F(PtqCli, BadCombinationsAreOneLineErrors) {
  const std::string base = "quantize -m " + fp32_model() + " -o " + dir_ + "/x.onnx --calib-data " + samples() + " ";
  struct Case {
    std::string args, needle;
  } cases[] = {
      {"--recipe w4a8 --per-tensor", "per-channel"},
      {"--recipe w8a8 --format qop", "QDQ"},
      {"--recipe w8a8 --target avx2", "fixes the types"},
      {"--mode dynamic --cle", "need --mode static"},
      {"--mode static --adaround --weight u8", "symmetric"},
      {"--mode static --report " + dir_ + "/r.json", "--report"},
      {"--recipe w2a8", "w2a8"},
      {"--mode static --bias-correction bn", "bn"},
      {"--mode static --weight8 first", "--weight8"},
      {"--mode static --weight-bits 4 --weight8 no_such_conv", "no_such_conv"},
      {"--mode static --weight-bits 3", "3"},
      {"--mode static --weight-range tf-enhanced", "--weight-range"},
      {"--recipe w4a8 --weight-range mse", "mse"},
  };
  for (const Case& c : cases) {
    auto r = test::run_cli(base + c.args);
    test::expect_one_line_error(r, c.needle);
    EXPECT_FALSE(fs::exists(dir_ + "/x.onnx")) << c.args;
  }
}

// The W4A8 recipe (CLE + AdaRound, 4-bit per-channel weights): summary, report and a model with INT4
// weights that runs.
TEST_F(PtqCli, W4a8RecipeWritesFourBitGridWeightsAndAReport) {
  const std::string out = dir_ + "/w4.onnx", rep = dir_ + "/w4.json";
  auto r = test::run_cli("quantize -m " + fp32_model() + " -o " + out + " --recipe w4a8 --calib-data " + samples() +
                         " --calib-count 8 --adaround-iters 30 --adaround-images 8 --report " + rep + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["recipe"], "w4a8");
  EXPECT_EQ(j["weight_bits"], 4);
  EXPECT_EQ(j["calibrator"], "tf-enhanced");
  EXPECT_EQ(j["weight_range"], "tf-enhanced") << "AIMET computes the param encodings AdaRound keeps with TF-enhanced";
  EXPECT_EQ(j["weights"]["type"], "s4");
  EXPECT_EQ(j["weights"]["granularity"], "per-channel");
  EXPECT_EQ(j["steps"]["cle"]["triplets"], 17);
  EXPECT_EQ(j["steps"]["cle"]["pairs"], 2);
  EXPECT_EQ(j["steps"]["cle"]["relu6_replaced"], 34);
  EXPECT_EQ(j["steps"]["adaround"]["iterations"], 30);
  EXPECT_EQ(j["steps"]["adaround"]["layers"], 53);
  EXPECT_EQ(j["left_float"].size(), 0u);

  std::ifstream f(rep);
  ASSERT_TRUE(f.good());
  auto report = nlohmann::json::parse(f);
  EXPECT_EQ(report["schema"]["name"], "inr.quantize.layers");
  ASSERT_EQ(report["layers"].size(), 53u);
  EXPECT_EQ(report["cle_sets"].size(), 19u);
  int improved = 0;
  for (const auto& l : report["layers"]) {
    EXPECT_EQ(l["bits"], 4);
    EXPECT_GT(l["samples"].get<int64_t>(), 0);
    // 4-bit weights: an SQNR of roughly 6 dB per bit, far from lossless and far from noise.
    EXPECT_GT(l["weight_sqnr_db"]["final"].get<double>(), 8.0) << l["name"];
    EXPECT_LT(l["weight_sqnr_db"]["final"].get<double>(), 40.0) << l["name"];
    improved += l["output_sqnr_db"]["final"].get<double>() > l["output_sqnr_db"]["nearest"].get<double>();
  }
  // AdaRound optimises the output reconstruction: even 30 iterations improve most layers' output SQNR.
  EXPECT_GT(improved, 40);

  // Every Conv / MatMul weight is an INT4 initializer on AIMET's [-8, 7] grid: TF-enhanced clips ranges, and
  // the weights it cuts off on the negative side take the -8 step.
  auto g = import_onnx_file(out);
  ASSERT_TRUE(g.is_ok()) << g.status().message();
  const std::vector<const Node*> weights = weight_dequantizers(**g);
  int64_t minus8 = 0;
  for (const Node* n : weights) {
    const Tensor& q = n->inputs[0]->constant;
    EXPECT_EQ(q.dtype(), DType::kI4) << n->name;
    const auto* bytes = static_cast<const uint8_t*>(q.raw());  // two per byte, low nibble first
    for (int64_t i = 0; q.dtype() == DType::kI4 && i < q.numel(); ++i) minus8 += ((bytes[i / 2] >> (4 * (i % 2))) & 0xF) == 0x8;
  }
  EXPECT_EQ(weights.size(), 53u);
  EXPECT_GT(minus8, 0) << "no weight on the -8 step";
  auto e = test::run_cli("eval -m " + out + " --data " + sample_list(dir_, 16) + " --json");
  ASSERT_EQ(e.exit_code, 0) << e.err;
}

// MobileNetV2's ONNX file has its BatchNorms folded already: analytical bias correction has no statistics
// anywhere, so every layer falls back to empirical, and the note says so; CLE finds nothing to absorb.
TEST_F(PtqCli, AnalyticalBiasCorrectionWithoutBatchNormFallsBackToEmpirical) {
  const std::string out = dir_ + "/bc.onnx";
  auto r = test::run_cli("quantize -m " + fp32_model() + " -o " + out + " --mode static --cle --bias-correction analytical "
                         "--calib-data " + samples() + " --calib-count 8 --adaround-images 8 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["steps"]["bias_correction"], "analytical");
  EXPECT_EQ(j["steps"]["bias_correction_layers"]["analytical"], 0);
  EXPECT_EQ(j["steps"]["bias_correction_layers"]["empirical"], 52) << "53 layers; the MatMul classifier has no bias";
  EXPECT_EQ(j["steps"]["cle"]["high_bias_absorption"]["batchnorm_statistics"], false);
  EXPECT_EQ(j["steps"]["cle"]["high_bias_absorption"]["pairs"], 0);
  EXPECT_NE(r.err.find("bias correction: analytical on 0 layer(s); empirical on 52 (no BatchNorm statistics)"), std::string::npos)
      << r.err;
}

// A small float model that still has its BatchNorms: x [N,3,224,224] -> conv a (3x3) -> BN -> Relu ->
// conv b (1x1) -> BN -> Relu -> GlobalAveragePool -> Flatten -> Gemm. The statistics are read before BN
// folding: CLE absorbs a's high biases into b, and analytical bias correction reaches b (from a's BN) and the
// Gemm (from b's, through the pooling); a reads the image and falls back to empirical.
TEST_F(PtqCli, BatchNormModelGetsHighBiasAbsorptionAndAnalyticalCorrection) {
  Graph g;
  g.opset = 13;
  // A fixed batch of 1, as many exported models have: the layer passes must run at the model's batch size
  // (they used batches of 16 and failed with "shape [4,3,224,224] does not match the model's [1,3,224,224]").
  Value* x = g.add_input("x", DType::kF32, {1, 3, 224, 224});
  auto vec = [&](const std::string& name, std::vector<float> v) {
    const int64_t n = static_cast<int64_t>(v.size());
    return g.add_constant(name, Tensor::from_vector<float>(DType::kF32, {n}, v));
  };
  auto conv_bn_relu = [&](const std::string& name, Value* in, Tensor w, float beta) {
    const int64_t c = w.dim(0), k = w.dim(2);
    Value* y = g.add_value(name);
    Node* n = g.add_node(name, "Conv", "", {in, g.add_constant(name + "_w", std::move(w)), vec(name + "_b", std::vector<float>(c, 0.1f))}, {y});
    n->attrs["pads"] = Attr::of_ints({k / 2, k / 2, k / 2, k / 2});
    n->attrs["kernel_shape"] = Attr::of_ints({k, k});
    Value* bn = g.add_value(name + "_bn");
    g.add_node(name + "_bn", "BatchNormalization", "",
               {y, vec(name + "_g", std::vector<float>(c, 0.3f)), vec(name + "_be", std::vector<float>(c, beta)),
                vec(name + "_m", std::vector<float>(c, 0.f)), vec(name + "_v", std::vector<float>(c, 1.f))}, {bn});
    Value* r = g.add_value(name + "_relu");
    g.add_node(name + "_relu", "Relu", "", {bn}, {r});
    return r;
  };
  Value* a = conv_bn_relu("a", x, test::random_f32({8, 3, 3, 3}, 1), 2.f);  // beta - 3 gamma = 1.1 > 0: absorbed
  Value* b = conv_bn_relu("b", a, test::random_f32({8, 8, 1, 1}, 2), 0.5f);
  Value* p = g.add_value("pool");
  g.add_node("pool", "GlobalAveragePool", "", {b}, {p});
  Value* f = g.add_value("flat");
  g.add_node("flat", "Flatten", "", {p}, {f});
  Value* y = g.add_value("logits");
  Node* fc = g.add_node("fc", "Gemm", "", {f, g.add_constant("fc_w", test::random_f32({10, 8}, 3)), vec("fc_b", std::vector<float>(10, 0.f))}, {y});
  fc->attrs["transB"] = Attr::of_int(1);
  g.outputs = {y};
  const std::string model = dir_ + "/bn.onnx";
  ASSERT_TRUE(export_onnx_file(g, model).is_ok());
  auto r = test::run_cli("quantize -m " + model + " -o " + dir_ + "/bn_q.onnx --mode static --cle --bias-correction analytical "
                         "--weight-bits 4 --calib-data " + samples() + " --calib-count 4 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["steps"]["cle"]["pairs"], 1);
  EXPECT_EQ(j["steps"]["cle"]["high_bias_absorption"]["batchnorm_statistics"], true);
  EXPECT_EQ(j["steps"]["cle"]["high_bias_absorption"]["pairs"], 1);
  EXPECT_EQ(j["steps"]["cle"]["high_bias_absorption"]["channels"], 8);
  EXPECT_EQ(j["steps"]["bias_correction_layers"]["analytical"], 2);
  EXPECT_EQ(j["steps"]["bias_correction_layers"]["empirical"], 1);
  EXPECT_NE(r.err.find("analytical on 2 layer(s): b, fc; empirical on 1 (no BatchNorm statistics): a ("), std::string::npos) << r.err;
}

// --weight8 first,last with 4-bit weights (round to nearest): those two weights are INT8, the other 51 INT4.
TEST_F(PtqCli, Weight8KeepsTheFirstAndLastLayersAtEightBits) {
  const std::string out = dir_ + "/w8fl.onnx";
  auto r = test::run_cli("quantize -m " + fp32_model() + " -o " + out + " --mode static --weight-bits 4 --weight8 first,last "
                         "--calib-data " + samples() + " --calib-count 8 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["weights"]["kept_8bit"].size(), 2u);
  auto g = import_onnx_file(out);
  ASSERT_TRUE(g.is_ok()) << g.status().message();
  (*g)->rebuild_uses();
  std::map<DType, int> types;
  std::set<std::string> eight;  // the layers reading an INT8 weight
  for (const Node* n : weight_dequantizers(**g)) {
    ++types[n->inputs[0]->constant.dtype()];
    if (n->inputs[0]->constant.dtype() == DType::kI8)
      for (const Node* c : n->outputs[0]->consumers) eight.insert(c->name.empty() ? c->outputs[0]->name : c->name);
  }
  EXPECT_EQ(types[DType::kI4], 51);
  EXPECT_EQ(types[DType::kI8], 2);
  // They are the layers the summary lists (the first conv and the classifier).
  std::set<std::string> listed;
  for (const auto& name : j["weights"]["kept_8bit"]) listed.insert(name.get<std::string>());
  EXPECT_EQ(eight, listed);
  // The text summary names them too.
  auto t = test::run_cli("quantize -m " + fp32_model() + " -o " + out + " --mode static --weight-bits 4 --weight8 first "
                         "--calib-data " + samples() + " --calib-count 2");
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_NE(t.out.find("8-bit:       "), std::string::npos) << t.out;
  auto e = test::run_cli("eval -m " + out + " --data " + sample_list(dir_, 8) + " --json");
  ASSERT_EQ(e.exit_code, 0) << e.err;
}

// --weight8 depthwise keeps MobileNetV2's 17 depthwise 3x3 convs (9 weights per channel) at 8 bits; a model
// without depthwise convs is an error, not a silent no-op.
TEST_F(PtqCli, Weight8DepthwiseKeepsEveryDepthwiseConvAtEightBits) {
  const std::string out = dir_ + "/w8dw.onnx";
  auto r = test::run_cli("quantize -m " + fp32_model() + " -o " + out + " --mode static --weight-bits 4 --weight8 depthwise "
                         "--calib-data " + samples() + " --calib-count 4 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["weights"]["kept_8bit"].size(), 17u);
  auto g = import_onnx_file(out);
  ASSERT_TRUE(g.is_ok()) << g.status().message();
  int eight = 0, four = 0;
  for (const Node* n : weight_dequantizers(**g)) {
    const Tensor& w = n->inputs[0]->constant;
    const bool depthwise = w.rank() == 4 && w.dim(1) == 1;
    if (w.dtype() == DType::kI8) {
      ++eight;
      EXPECT_TRUE(depthwise) << n->name;
    } else {
      ++four;
      EXPECT_FALSE(depthwise) << n->name;
    }
  }
  EXPECT_EQ(eight, 17);
  EXPECT_EQ(four, 36);
  // The synthetic ResNet has no depthwise conv.
  const std::string r18 = dir_ + "/r18.onnx";
  ASSERT_EQ(test::run_cli("synth resnet18 -o " + r18).exit_code, 0);
  auto e = test::run_cli("quantize -m " + r18 + " -o " + dir_ + "/x.onnx --mode static --weight-bits 4 --weight8 depthwise "
                         "--calib-data " + samples() + " --calib-count 2");
  test::expect_one_line_error(e, "depthwise");
}

// --seed also seeds AdaRound's sampling (which output positions are cached, which rows each iteration draws):
// the same seed writes the same bytes, another seed other rounding decisions; the summary records it.
TEST_F(PtqCli, SeedPicksTheAdaRoundSamplesAndTheSameSeedGivesTheSameBytes) {
  auto run = [&](const std::string& name, int seed) {
    const std::string out = dir_ + "/" + name + ".onnx";
    auto r = test::run_cli("quantize -m " + fp32_model() + " -o " + out + " --mode static --weight-bits 4 --adaround "
                           "--adaround-iters 40 --adaround-images 4 --calib-data " + samples() + " --calib-count 4 --seed " +
                           std::to_string(seed) + " --json");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["steps"]["adaround"]["seed"], seed);
    std::ifstream f(out, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  const std::string a = run("a", 0), b = run("b", 0), c = run("c", 5);
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a, b) << "one seed, one result";
  EXPECT_NE(a, c) << "--seed 5 drew the same AdaRound samples as --seed 0";
}

// --adaround-positions sets how many output positions of each calibration image a layer caches (the rows
// AdaRound draws from and bias correction averages over); layers with fewer output positions cache them all.
TEST_F(PtqCli, AdaroundPositionsSetsTheCachedRowsPerImage) {
  for (int positions : {16, 100}) {
    const std::string out = dir_ + "/p" + std::to_string(positions) + ".onnx", rep = out + ".json";
    auto r = test::run_cli("quantize -m " + fp32_model() + " -o " + out + " --mode static --weight-bits 4 --adaround "
                           "--adaround-iters 5 --adaround-images 4 --calib-data " + samples() + " --calib-count 4 "
                           "--adaround-positions " + std::to_string(positions) + " --report " + rep + " --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out)["steps"]["adaround"]["cached_positions_per_image"], positions);
    EXPECT_EQ(nlohmann::json::parse(r.out)["steps"]["adaround"]["holdout"], 0) << "AIMET's plain run by default";
    std::ifstream f(rep);
    auto layers = nlohmann::json::parse(f)["layers"];
    ASSERT_EQ(layers.size(), 53u);
    EXPECT_EQ(layers[0]["samples"], 4 * positions) << "the first conv has 112 x 112 output positions per image";
    EXPECT_EQ(layers[52]["samples"], 4) << "the classifier has one row per image";
  }
}

// --adaround-holdout: 1 of 5 images (the 5th) is kept out of AdaRound's training; each layer reports its
// rows, the iteration it kept (a checkpoint: every 64 / 32 = 2 iterations) and the held-out output SQNR,
// never below round-to-nearest's; 0 is AIMET's plain run (the last iteration, nothing held out).
TEST_F(PtqCli, AdaroundHoldoutChoosesEachLayersRoundingOnHeldOutImages) {
  for (const char* holdout : {"0.2", "0"}) {
    const std::string out = dir_ + "/h" + holdout + ".onnx", rep = out + ".json";
    auto r = test::run_cli("quantize -m " + fp32_model() + " -o " + out + " --mode static --weight-bits 4 --adaround "
                           "--adaround-iters 64 --adaround-images 5 --calib-data " + samples() + " --calib-count 5 "
                           "--adaround-holdout " + holdout + " --report " + rep + " --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const bool held = std::string(holdout) != "0";
    auto ada = nlohmann::json::parse(r.out)["steps"]["adaround"];
    EXPECT_DOUBLE_EQ(ada["holdout"].get<double>(), held ? 0.2 : 0.0);
    EXPECT_EQ(ada["checks"], held ? 32 : 0);
    std::ifstream f(rep);
    auto layers = nlohmann::json::parse(f)["layers"];
    ASSERT_EQ(layers.size(), 53u);
    int earlier = 0;
    for (const auto& l : layers) {
      const auto& a = l["adaround"];
      const int kept = a["iteration_kept"];
      if (!held) {
        EXPECT_EQ(kept, 64);
        EXPECT_EQ(a["heldout_samples"], 0);
        EXPECT_TRUE(a["heldout_output_sqnr_db"].is_null());
        continue;
      }
      EXPECT_EQ(a["heldout_samples"].get<int64_t>() * 5, l["samples"].get<int64_t>()) << l["name"];
      EXPECT_EQ(kept % 2, 0) << l["name"];
      const auto& q = a["heldout_output_sqnr_db"];
      EXPECT_GE(q["kept"].get<double>(), q["nearest"].get<double>() - 1e-9) << l["name"];
      EXPECT_GE(q["kept"].get<double>(), q["last"].get<double>() - 1e-9) << l["name"];
      earlier += kept < 64;
    }
    if (held) {
      EXPECT_GT(earlier, 0) << "some layer keeps an earlier rounding than the last";
    }
  }
  auto bad = test::run_cli("quantize -m " + fp32_model() + " -o " + dir_ + "/x.onnx --recipe w4a8 --adaround-holdout 1.5 --calib-data " + samples());
  EXPECT_EQ(bad.exit_code, 2) << "a usage error";
  EXPECT_NE(bad.err.find("--adaround-holdout"), std::string::npos) << bad.err;
}

TEST_F(PtqCli, QuantevalPrintsBothModelsWithTheDelta) {
  const std::string list = sample_list(dir_, 24);
  auto r = test::run_cli("quanteval --recipe w8a8 -m " + fp32_model() + " --data " + list + " --calib-data " + samples() + " --calib-count 8 --adaround-iters 20 --adaround-images 8 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["schema"]["name"], "inr.quanteval");
  EXPECT_EQ(j["recipe"], "w8a8");
  EXPECT_EQ(j["float"]["images"], 24);
  EXPECT_EQ(j["quantized"]["images"], 24);
  EXPECT_TRUE(j["delta"].is_number());
  EXPECT_EQ(j["delta_ci"].size(), 2u);
  EXPECT_TRUE(j["mcnemar_p"].is_number());
  EXPECT_EQ(j["quantize"]["steps"]["adaround"]["iterations"], 20);
  EXPECT_DOUBLE_EQ(j["quantize"]["steps"]["adaround"]["holdout"].get<double>(), 0.2) << "the w8a8 recipe holds out every 5th image";
  EXPECT_TRUE(j["quantize"]["output"].is_null()) << "the temporary model is removed";
  auto t = test::run_cli("quanteval --recipe w8a8 -m " + fp32_model() + " --data " + list +
                         " --calib-count 8 --adaround-iters 20 --adaround-images 8");
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_NE(t.out.find("delta:"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("McNemar p"), std::string::npos) << t.out;
  EXPECT_NE(t.err.find("calibrating on the evaluation images"), std::string::npos) << t.err;
}

}  // namespace
}  // namespace inr
