// Models `inr quantize` writes load in ONNX Runtime and agree with inr on top-1 for >= 99.5% of inputs
// (issue #4). 32 real val images keep the suite fast; at that count >= 99.5% means every image agrees.
//
// Every calibrator, both formats. The clipping calibrators (percentile, l2, tf-enhanced) make residual
// QLinearAdds round exact ties often; inr evaluates QLinearAdd (and fuses QDQ DQ->Add->Q into it) with ONNX
// Runtime's x86 arithmetic (ops/qadd_kernel.h), without which 2-3 of these 32 images flip top-1.
//
// ORT is the oracle only where it is exact (issue #9): its u8 x s8 kernels on CPUs without VNNI (AVX2,
// AVX-512 without VNNI) add products in pairs at 16 bits (vpmaddubsw), which saturates for full-range
// weights. There (the real CPU's tier: ORT cannot be capped) a full-range model's agreement is reported, not
// asserted; reduce-range models (|w| <= 64, no pair can saturate) are asserted on every CPU. inr itself is
// exact on every tier (tests/unit/onednn_int8_test.cc).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "core/cpu_tier.h"
#include "core/npy.h"
#include "data/labels.h"
#include "image/preprocess.h"
#include "inr/session.h"
#include "test_util.h"

namespace inr {
namespace {

namespace fs = std::filesystem;

constexpr int kImages = 32;
constexpr double kMinAgreement = 0.995;

// The first kImages val images of labels.tsv, preprocessed (torchvision), as one [N,3,224,224] tensor.
Tensor val_batch() {
  static Tensor batch = [] {
    auto spec = image::preset_spec("torchvision");
    EXPECT_TRUE(spec.is_ok());
    image::Preprocessor pre(*spec);
    Tensor t = Tensor::empty(DType::kF32, {kImages, 3, 224, 224});
    const size_t per = static_cast<size_t>(3 * 224 * 224);
    std::ifstream list(test::data_dir() + "/imagenet/labels.tsv");
    std::string line;
    int n = 0;
    while (n < kImages && std::getline(list, line)) {
      std::string rel = line.substr(0, line.find('\t'));
      if (rel.rfind("val/", 0) != 0) continue;
      Status s = pre.run_file(test::data_dir() + "/imagenet/" + rel, t.data<float>() + n * per, per * sizeof(float));
      EXPECT_TRUE(s.is_ok()) << s.message();
      ++n;
    }
    EXPECT_EQ(n, kImages);
    return t;
  }();
  return batch;
}

std::vector<int> top1(const Tensor& logits) {
  std::vector<int> out;
  int64_t classes = logits.dim(-1);
  for (int64_t r = 0; r < logits.dim(0); ++r)
    out.push_back(data::top_k(std::span<const float>(logits.data<float>() + r * classes, classes), 1)[0]);
  return out;
}

struct QuantCase {
  std::string name, flags;
  bool reduce_range = false;  // 7-bit weights: ORT exact on every x86 CPU
  // Why top-1 agreement is reported and not asserted on any CPU ("" = asserted where ORT is exact).
  std::string not_asserted;
};

// Whether ONNX Runtime computes this model exactly on this machine's CPU.
bool ort_exact(const QuantCase& c) {
  return c.not_asserted.empty() && (c.reduce_range || tier_has_vnni(detected_cpu_tier()));
}

class QuantOrtAgreement : public ::testing::TestWithParam<QuantCase> {};

TEST_P(QuantOrtAgreement, OrtLoadsItAndAgreesOnTop1) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  if (!fs::exists(test::source_dir() + "/tools/ort/node_modules/onnxruntime-node/package.json"))
    GTEST_SKIP() << "onnxruntime-node not installed (scripts/install-deps.sh)";
  const std::string d = test::data_dir();
  const std::string dir = test::temp_dir("qagree_" + GetParam().name);
  const std::string model = dir + "/model.onnx";
  auto q = test::run_cli("quantize -m " + d + "/models/mobilenetv2-12-int8-dequant-fp32.onnx -o " + model + " " +
                         GetParam().flags);
  ASSERT_EQ(q.exit_code, 0) << q.err;
  Tensor x = val_batch();
  auto s = Session::load(model);
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  auto out = (*s)->run(std::span<const Tensor>(&x, 1));
  ASSERT_TRUE(out.is_ok()) << out.status().message();
  ASSERT_TRUE(write_npy(dir + "/x.npy", x).is_ok());
  auto r = test::run_shell("node " + test::source_dir() + "/tools/ort/ort_run.js run " + model + " " + dir + "/ort " +
                           dir + "/x.npy");
  ASSERT_EQ(r.exit_code, 0) << "ORT could not run the model: " << r.err;
  auto ort = read_npy(dir + "/ort/output.npy");
  ASSERT_TRUE(ort.is_ok()) << ort.status().message();
  std::vector<int> a = top1((*out)[0]), b = top1(*ort);
  int same = 0;
  for (int i = 0; i < kImages; ++i) same += a[i] == b[i];
  RecordProperty("agreement", same);
  if (!ort_exact(GetParam())) {
    std::cout << "[ort] " << same << "/" << kImages << " top-1 agree; not asserted: "
              << (GetParam().not_asserted.empty()
                      ? "ONNX Runtime's u8 x s8 kernels saturate on this CPU (" +
                            std::string(cpu_tier_name(detected_cpu_tier())) + ", no VNNI)"
                      : GetParam().not_asserted)
              << "\n";
    return;
  }
  EXPECT_GE(same, kMinAgreement * kImages) << same << "/" << kImages << " top-1 agree";
}

const std::string kStatic = "--mode static --per-channel --calib-count 8 --calib-data ";

INSTANTIATE_TEST_SUITE_P(
    Models, QuantOrtAgreement,
    ::testing::ValuesIn([] {
      std::vector<QuantCase> cases = {{"dynamic", "--mode dynamic --per-channel"}};
      for (std::string fmt : {"qdq", "qop"})
        for (std::string cal : {"minmax", "percentile", "entropy", "l2", "tf-enhanced"}) {
          std::string id = fmt + "_" + cal;
          std::replace(id.begin(), id.end(), '-', '_');
          cases.push_back({id, kStatic + test::data_dir() + "/imagenet/samples --format " + fmt + " --calib " + cal});
        }
      // 7-bit weights: exact in ORT on every CPU, so asserted everywhere.
      for (std::string fmt : {"qdq", "qop"})
        cases.push_back({fmt + "_minmax_reduce_range",
                         kStatic + test::data_dir() + "/imagenet/samples --format " + fmt + " --reduce-range", true});
      // 4-bit weights (opset 21 INT4 DequantizeLinear): ORT must load and run the file. It dequantizes 4-bit
      // weights and runs a float Conv (no 4-bit QDQ fusion), while inr runs the integer path with the weights
      // widened to int8 (passes/quant_qdq.h): each Q may differ by 1 LSB, as inr's own unfused graph does. A
      // round-to-nearest W4A8 MobileNetV2 is collapsed (about 3% top-1 here), its top-1 margins are rounding
      // noise, so agreement is reported (27/32 measured; ORT vs inr's unfused float QDQ graph: also 27/32).
      // The widening itself is tested exactly in tests/passes/quant_qdq_test.cc (QdqConv4Bit).
      cases.push_back({"qdq_minmax_w4a8", kStatic + test::data_dir() + "/imagenet/samples --weight-bits 4", false,
                       "ORT runs 4-bit weights as a float Conv (1 LSB per Q from inr's integer path) and RTN W4A8 "
                       "MobileNetV2 is collapsed, so top-1 is decided by rounding noise"});
      return cases;
    }()),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace inr
