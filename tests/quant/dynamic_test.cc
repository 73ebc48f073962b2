// Dynamic quantization of a Gemm classifier (src/quant/dynamic.cc): B transposed once into MatMulInteger's
// [K, N] weight, the bias added after the rescale; the result stays within the quantization error of the
// float Gemm. ORT's quantize_dynamic leaves Gemm float; inr quantizes it so a CNN's fc shrinks too.
#include <gtest/gtest.h>

#include <cmath>

#include "inr/session.h"
#include "quant/quantize.h"
#include "test_util.h"

namespace inr::quant {
namespace {

// x [4, 24] -> Gemm(B [10, 24], transB, C [10]) -> y [4, 10]
std::unique_ptr<Graph> gemm_graph(float alpha) {
  auto g = std::make_unique<Graph>();
  g->opset = 13;
  Value* x = g->add_input("x", DType::kF32, {4, 24});
  Tensor b = test::random_f32({10, 24}, 11, -0.5f, 0.5f);
  Tensor c = test::random_f32({10}, 12, -1.f, 1.f);
  Value* y = g->add_value("y");
  Node* n = g->add_node("fc", "Gemm", "", {x, g->add_constant("B", b), g->add_constant("C", c)}, {y});
  n->attrs["transB"] = Attr::of_int(1);
  n->attrs["alpha"] = Attr::of_float(alpha);
  g->outputs = {y};
  return g;
}

TEST(DynamicQuant, GemmBecomesMatMulInteger) {
  QuantOptions o;
  o.mode = Mode::kDynamic;
  o.per_channel = true;
  QuantReport report;
  auto g = gemm_graph(1.f);
  auto q = quantize_dynamic(*g, o, report);
  ASSERT_TRUE(q.is_ok()) << q.status().message();
  EXPECT_EQ(report.nodes_quantized, 1);
  EXPECT_EQ(test::count_op(**q, Op::kGemm), 0);
  EXPECT_EQ(test::count_op(**q, Op::kMatMulInteger), 1);
  for (const auto& n : (*q)->nodes())
    if (n->op_type == "MatMulInteger") {
      EXPECT_EQ(n->inputs[1]->constant.shape(), (Shape{24, 10})) << "B transposed into [K, N]";
      EXPECT_EQ(n->inputs[1]->constant.dtype(), DType::kI8);
    }

  Tensor x = test::random_f32({4, 24}, 13, -2.f, 2.f);
  std::vector<Tensor> fy = test::run_graph(gemm_graph(1.f), std::span<const Tensor>(&x, 1));
  std::vector<Tensor> qy = test::run_graph(std::move(*q), std::span<const Tensor>(&x, 1));
  ASSERT_TRUE(fy.size() == 1 && qy.size() == 1);
  // Error bound: x quantized with step 4/255 over [-2, 2], B per column with step <= 1/127; 24 products.
  for (int64_t i = 0; i < 40; ++i)
    EXPECT_NEAR(qy[0].data<float>()[i], fy[0].data<float>()[i], 0.1) << "element " << i;
}

TEST(DynamicQuant, GemmWithAlphaIsLeftFloat) {
  QuantOptions o;
  o.mode = Mode::kDynamic;
  QuantReport report;
  auto g = gemm_graph(0.5f);
  auto q = quantize_dynamic(*g, o, report);
  ASSERT_TRUE(q.is_ok()) << q.status().message();
  EXPECT_EQ(report.nodes_quantized, 0);
  ASSERT_EQ(report.skipped.size(), 1u);
  EXPECT_NE(report.skipped[0].find("alpha"), std::string::npos) << report.skipped[0];
  EXPECT_EQ(test::count_op(**q, Op::kGemm), 1);
}

}  // namespace
}  // namespace inr::quant
