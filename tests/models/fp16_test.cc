// fp16 models (as `inr quantize --mode fp16` writes them) run in inr computed in fp32 (passes/fp16_compute):
// same top-1 as the fp32 model on the photos, entirely on the fast backend, and agreeing with ORT.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/npy.h"
#include "data/labels.h"
#include "inr/session.h"
#include "ir/graph.h"
#include "passes/passes.h"
#include "test_util.h"

namespace inr {
namespace {

namespace fs = std::filesystem;

Tensor read_raw_f32(const std::string& path, Shape shape) {
  Tensor t = Tensor::empty(DType::kF32, shape);
  std::ifstream(path, std::ios::binary).read(static_cast<char*>(t.raw()), static_cast<std::streamsize>(t.bytes()));
  return t;
}

TEST(Fp16, MobileNetV2MatchesFp32AndOrt) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  const std::string d = test::data_dir();
  const std::string dir = test::temp_dir("fp16");
  const std::string model = dir + "/mnv2.fp16.onnx";
  auto q = test::run_cli("quantize -m " + d + "/models/mobilenetv2-12-int8-dequant-fp32.onnx -o " + model +
                         " --mode fp16");
  ASSERT_EQ(q.exit_code, 0) << q.err;
  Tensor input = read_raw_f32(d + "/reference/photos_input_f32_nchw.bin", {5, 3, 224, 224});
  Tensor fp32 = read_raw_f32(d + "/reference/mobilenetv2-12-int8-dequant-fp32_photos_logits_f32.bin", {5, 1000});
  auto s = Session::load(model);
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  auto out = (*s)->run(std::span<const Tensor>(&input, 1));
  ASSERT_TRUE(out.is_ok()) << out.status().message();
  const Tensor& y = (*out)[0];
  ASSERT_EQ(y.dtype(), DType::kF32);  // graph I/O stays fp32
  double max_err = 0, max_ref = 0;
  for (int64_t i = 0; i < y.numel(); ++i) {
    max_err = std::max(max_err, static_cast<double>(std::abs(y.data<float>()[i] - fp32.data<float>()[i])));
    max_ref = std::max(max_ref, static_cast<double>(std::abs(fp32.data<float>()[i])));
  }
  // Weights rounded to f16 (relative error <= 2^-11 each): logits move by well under 1% of their range.
  constexpr double kFp16WeightRounding = 1e-2;
  EXPECT_LE(max_err, kFp16WeightRounding * max_ref) << "max|logit| " << max_ref;
  for (int r = 0; r < 5; ++r) {
    std::span<const float> a(y.data<float>() + r * 1000, 1000), b(fp32.data<float>() + r * 1000, 1000);
    EXPECT_EQ(data::top_k(a, 1), data::top_k(b, 1)) << "photo " << r;
  }
  Shape shape = input.shape();
  auto placement = (*s)->placement_summary(std::span<const Shape>(&shape, 1));
  ASSERT_TRUE(placement.is_ok());
  EXPECT_EQ(placement->find("reference"), std::string::npos) << "no per-op fallback expected: " << *placement;

  if (!fs::exists(test::source_dir() + "/tools/ort/node_modules/onnxruntime-node/package.json"))
    GTEST_SKIP() << "onnxruntime-node not installed (scripts/install-deps.sh)";
  ASSERT_TRUE(write_npy(dir + "/in.npy", input).is_ok());
  auto r = test::run_shell("node " + test::source_dir() + "/tools/ort/ort_run.js run " + model + " " + dir +
                           "/ort " + dir + "/in.npy");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto ort = read_npy(dir + "/ort/output.npy");
  ASSERT_TRUE(ort.is_ok()) << ort.status().message();
  for (int row = 0; row < 5; ++row) {
    std::span<const float> a(y.data<float>() + row * 1000, 1000), b(ort->data<float>() + row * 1000, 1000);
    EXPECT_EQ(data::top_k(a, 1), data::top_k(b, 1)) << "photo " << row;
  }
}

TEST(Fp16, PassWidensConstantsAndKeepsGraphIo) {
  // f16 input -> Mul(f16 constant) -> f16 output: computed in f32 between one Cast at each end.
  auto g = std::make_unique<Graph>();
  Value* x = g->add_input("x", DType::kF16, {4});
  Value* c = g->add_constant("c", Tensor::from_vector<uint16_t>(DType::kF16, {4}, {0x3c00, 0x4000, 0x4200, 0xbc00}));  // 1 2 3 -1
  Value* y = g->add_value("y");
  Node* mul = g->add_node("mul", "Mul", "", {x, c}, {y});
  mul->attrs["_opset"] = Attr::of_int(13);
  g->outputs.push_back(y);
  y->dtype = DType::kF16;
  ASSERT_TRUE(compute_fp16_in_fp32(*g).is_ok());
  EXPECT_EQ(c->constant.dtype(), DType::kF32);
  EXPECT_EQ(c->constant.data<float>()[2], 3.f);
  EXPECT_EQ(g->inputs[0]->dtype, DType::kF16);
  EXPECT_EQ(g->outputs[0]->dtype, DType::kF16);
  EXPECT_EQ(g->outputs[0]->name, "y");
  int casts = 0;
  for (const auto& n : g->nodes()) casts += n->op == Op::kCast;
  EXPECT_EQ(casts, 2);
  auto s = Session::create(std::move(g));
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  Tensor in = Tensor::from_vector<uint16_t>(DType::kF16, {4}, {0x4000, 0x4000, 0x4000, 0x4000});  // 2
  auto out = (*s)->run(std::span<const Tensor>(&in, 1));
  ASSERT_TRUE(out.is_ok()) << out.status().message();
  EXPECT_EQ((*out)[0].dtype(), DType::kF16);
  std::vector<uint16_t> got((*out)[0].data<uint16_t>(), (*out)[0].data<uint16_t>() + 4);
  EXPECT_EQ(got, (std::vector<uint16_t>{0x4000, 0x4400, 0x4600, 0xc000}));  // 2 4 6 -2
}

}  // namespace
}  // namespace inr
