// Passes: shape inference with constant propagation, BatchNorm folding, Identity/Dropout removal and
// Conv epilogue fusion; each must keep the graph's results (checked on the reference backend).
#include <gtest/gtest.h>

#include <cmath>

#include "inr/session.h"
#include "ir/graph.h"
#include "ops/op_schema.h"
#include "passes/passes.h"
#include "test_util.h"

namespace inr {
namespace {

using test::count_op;

Value* constant(Graph& g, const std::string& name, Tensor t) { return g.add_constant(name, std::move(t)); }
Value* input(Graph& g, const std::string& name, Shape shape) { return g.add_input(name, DType::kF32, std::move(shape)); }

Node* node(Graph& g, const std::string& op, std::vector<Value*> ins, const std::string& out,
           std::map<std::string, Attr> attrs = {}) {
  Node* n = g.add_node(out + "_node", op, "", std::move(ins), {g.add_value(out)});
  n->attrs = std::move(attrs);
  n->attrs["_opset"] = Attr::of_int(13);
  return n;
}

// conv(5->6, 3x3) -> BN -> Identity -> Add(residual conv 1x1) -> Relu -> Dropout -> output
std::unique_ptr<Graph> residual_graph() {
  auto g = std::make_unique<Graph>();
  Value* x = input(*g, "x", {2, 5, 9, 7});
  Value* w1 = constant(*g, "w1", test::random_f32({6, 5, 3, 3}, 1, -0.5f, 0.5f));
  Value* w2 = constant(*g, "w2", test::random_f32({6, 5, 1, 1}, 2, -0.5f, 0.5f));
  Value* b2 = constant(*g, "b2", test::random_f32({6}, 3));
  Node* c1 = node(*g, "Conv", {x, w1}, "c1",
                  {{"kernel_shape", Attr::of_ints({3, 3})}, {"pads", Attr::of_ints({1, 1, 1, 1})}});
  Value* gamma = constant(*g, "gamma", test::random_f32({6}, 4, 0.5f, 1.5f));
  Value* beta = constant(*g, "beta", test::random_f32({6}, 5));
  Value* mean = constant(*g, "mean", test::random_f32({6}, 6));
  Value* var = constant(*g, "var", test::random_f32({6}, 7, 0.2f, 2.f));
  Node* bn = node(*g, "BatchNormalization", {c1->outputs[0], gamma, beta, mean, var}, "bn",
                  {{"epsilon", Attr::of_float(1e-3f)}});
  Node* id = node(*g, "Identity", {bn->outputs[0]}, "id");
  Node* c2 = node(*g, "Conv", {x, w2, b2}, "c2", {{"kernel_shape", Attr::of_ints({1, 1})}});
  Node* add = node(*g, "Add", {id->outputs[0], c2->outputs[0]}, "add");
  Node* relu = node(*g, "Relu", {add->outputs[0]}, "relu");
  Node* drop = node(*g, "Dropout", {relu->outputs[0]}, "y");
  g->outputs.push_back(drop->outputs[0]);
  return g;
}

Tensor run_graph(std::unique_ptr<Graph> g, int opt_level, const Tensor& x) {
  std::vector<Tensor> out = test::run_graph(std::move(g), std::span<const Tensor>(&x, 1), opt_level);
  return out.empty() ? Tensor() : out[0];
}

TEST(Passes, CanonicalizeFoldsBatchNormAndDropsIdentity) {
  auto g = residual_graph();
  ASSERT_TRUE(infer_shapes(*g, true).is_ok());
  ASSERT_TRUE(canonicalize(*g).is_ok());
  EXPECT_EQ(count_op(*g, Op::kBatchNormalization), 0);
  EXPECT_EQ(count_op(*g, Op::kIdentity), 0);
  EXPECT_EQ(count_op(*g, Op::kDropout), 0);
  EXPECT_EQ(count_op(*g, Op::kConv), 2);
  EXPECT_EQ(g->outputs[0]->name, "y");  // the model's output name survives
  EXPECT_EQ(g->find_value("y"), g->outputs[0]);  // and the name index follows it
}

TEST(Passes, FusionMakesOneFusedConvWithResidualAndRelu) {
  auto g = residual_graph();
  ASSERT_TRUE(optimize(*g, 2).is_ok());
  // c2 (computed first) becomes a plain conv; c1 absorbs BN, Add(c2) and Relu.
  EXPECT_EQ(count_op(*g, Op::kFusedConv), 1);
  EXPECT_EQ(count_op(*g, Op::kAdd), 0);
  EXPECT_EQ(count_op(*g, Op::kRelu), 0);
  for (const auto& n : g->nodes())
    if (n->op == Op::kFusedConv) {
      EXPECT_EQ(n->inputs.size(), 4u);
      EXPECT_EQ(n->attr_string("activation", ""), "Relu");
    }
}

TEST(Passes, EveryLevelGivesTheSameResult) {
  Tensor x = test::random_f32({2, 5, 9, 7}, 42);
  Tensor y0 = run_graph(residual_graph(), 0, x);
  for (int level : {1, 2, 99}) {
    Tensor y = run_graph(residual_graph(), level, x);
    ASSERT_EQ(y.shape(), y0.shape());
    double max_ref = 0, max_err = 0;
    for (int64_t i = 0; i < y.numel(); ++i) {
      max_ref = std::max(max_ref, static_cast<double>(std::abs(y0.data<float>()[i])));
      max_err = std::max(max_err, static_cast<double>(std::abs(y.data<float>()[i] - y0.data<float>()[i])));
    }
    // BN folding reassociates (W*s)x vs s*(Wx): float rounding only.
    EXPECT_LE(max_err, 1e-5 * max_ref) << "level " << level;
  }
}

TEST(Passes, ShapeArithmeticFoldsEvenAtLevelZero) {
  // x[N,3,4,5] -> Shape -> Gather(0) -> Unsqueeze -> Concat(-1) -> Reshape: the exporter's flatten idiom.
  auto g = std::make_unique<Graph>();
  Value* x = input(*g, "x", {-1, 3, 4, 5});
  Node* shape = node(*g, "Shape", {x}, "shape");
  Value* zero = constant(*g, "zero", Tensor::from_vector<int64_t>(DType::kI64, {}, {0}));
  Node* gather = node(*g, "Gather", {shape->outputs[0], zero}, "n", {{"axis", Attr::of_int(0)}});
  Value* axes = constant(*g, "axes", Tensor::from_vector<int64_t>(DType::kI64, {1}, {0}));
  Node* unsq = node(*g, "Unsqueeze", {gather->outputs[0], axes}, "n1");
  Value* minus1 = constant(*g, "minus1", Tensor::from_vector<int64_t>(DType::kI64, {1}, {-1}));
  Node* concat = node(*g, "Concat", {unsq->outputs[0], minus1}, "target", {{"axis", Attr::of_int(0)}});
  Node* reshape = node(*g, "Reshape", {x, concat->outputs[0]}, "y");
  g->outputs.push_back(reshape->outputs[0]);
  Shape s = {3, 3, 4, 5};
  ASSERT_TRUE(bind_input_shapes(*g, std::span<const Shape>(&s, 1)).is_ok());
  ASSERT_TRUE(optimize(*g, 0).is_ok());
  EXPECT_EQ(g->outputs[0]->shape, (Shape{3, 60}));
  EXPECT_TRUE(concat->outputs[0]->is_constant());
}

TEST(Passes, BindInputShapesRejectsMismatch) {
  auto g = residual_graph();
  g->inputs[0]->shape = {-1, 5, 9, 7};
  Shape bad = {2, 4, 9, 7};
  Status st = bind_input_shapes(*g, std::span<const Shape>(&bad, 1));
  ASSERT_FALSE(st.is_ok());
  EXPECT_EQ(st.message(), "input 'x': shape [2,4,9,7] does not match the model's [N,5,9,7]");
}

}  // namespace
}  // namespace inr
