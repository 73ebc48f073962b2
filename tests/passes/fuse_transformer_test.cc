// fuse_transformer: the decomposed LayerNorm and GELU of opset-13 transformer exports become
// LayerNormalization and Gelu, a linear layer with bias one Gemm, and the fused graph computes what the unfused one does (reference and
// oneDNN backends).
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "inr/session.h"
#include "ir/graph.h"
#include "passes/passes.h"
#include "test_util.h"

namespace inr {
namespace {

using test::count_op;

Value* scalar(Graph& g, const std::string& name, float v) {
  return g.add_constant(name, Tensor::from_vector(DType::kF32, {}, std::vector<float>{v}));
}

Value* node(Graph& g, const std::string& op, std::vector<Value*> ins, const std::string& out,
            std::map<std::string, Attr> attrs = {}, int64_t opset = 13) {
  Node* n = g.add_node(out + "_node", op, "", std::move(ins), {g.add_value(out)});
  n->attrs = std::move(attrs);
  n->attrs["_opset"] = Attr::of_int(opset);
  return n->outputs[0];
}

// torch.onnx's LayerNorm over the last dim (c channels) below opset 17; without gamma/beta when `affine` is false. opset 18 passes the
// ReduceMean axes as an input.
Value* layer_norm(Graph& g, Value* x, int64_t c, const std::string& p, bool affine, int64_t opset = 13) {
  auto mean = [&](Value* v, const std::string& out) {
    if (opset >= 18)
      return node(g, "ReduceMean", {v, g.add_constant(out + "_axes", Tensor::from_vector(DType::kI64, {1}, std::vector<int64_t>{-1}))}, out, {}, opset);
    return node(g, "ReduceMean", {v}, out, {{"axes", Attr::of_ints({-1})}}, opset);
  };
  Value* m = mean(x, p + "m");
  Value* d = node(g, "Sub", {x, m}, p + "d");
  Value* sq = node(g, "Pow", {d, scalar(g, p + "two", 2.f)}, p + "sq");
  Value* v = mean(sq, p + "v");
  Value* ve = node(g, "Add", {v, scalar(g, p + "eps", 1e-6f)}, p + "ve");
  Value* s = node(g, "Sqrt", {ve}, p + "s");
  Value* n = node(g, "Div", {d, s}, p + "n");
  if (!affine) return n;
  Value* gamma = g.add_constant(p + "gamma", test::random_f32({c}, 11, 0.5f, 1.5f));
  Value* beta = g.add_constant(p + "beta", test::random_f32({c}, 12));
  Value* y = node(g, "Mul", {n, gamma}, p + "y");
  return node(g, "Add", {y, beta}, p + "z");
}

// torch.onnx's exact GELU: x * 0.5 * (1 + erf(x / sqrt 2)) as Div/Erf/Add/Mul/Mul; half_first: Hugging
// Face's 0.5 * x * (...) with the Mul by 0.5 first.
Value* gelu(Graph& g, Value* x, const std::string& p, bool half_first) {
  Value* q = node(g, "Div", {x, scalar(g, p + "sqrt2", static_cast<float>(std::numbers::sqrt2))}, p + "q");
  Value* e = node(g, "Erf", {q}, p + "e");
  Value* a = node(g, "Add", {e, scalar(g, p + "one", 1.f)}, p + "a");
  if (half_first) {
    Value* h = node(g, "Mul", {x, scalar(g, p + "half", 0.5f)}, p + "h");
    return node(g, "Mul", {h, a}, p + "out");
  }
  Value* m = node(g, "Mul", {x, a}, p + "m");
  return node(g, "Mul", {m, scalar(g, p + "half", 0.5f)}, p + "out");
}

// One pre-norm transformer MLP block: x + W2 gelu(W1 LN(x)), then a final LN without affine parameters.
std::unique_ptr<Graph> mlp_block(bool half_first, int64_t last_ln_opset) {
  auto g = std::make_unique<Graph>();
  Value* x = g->add_input("x", DType::kF32, {2, 7, 24});
  Value* h = layer_norm(*g, x, 24, "ln1_", true);
  h = node(*g, "MatMul", {h, g->add_constant("w1", test::random_f32({24, 40}, 1, -0.4f, 0.4f))}, "fc1");
  h = node(*g, "Add", {h, g->add_constant("b1", test::random_f32({40}, 3))}, "fc1_bias");
  h = gelu(*g, h, "gelu_", half_first);
  h = node(*g, "MatMul", {h, g->add_constant("w2", test::random_f32({40, 24}, 2, -0.4f, 0.4f))}, "fc2");
  h = node(*g, "Add", {x, h}, "res");
  Value* y = layer_norm(*g, h, 24, "ln2_", false, last_ln_opset);
  g->outputs.push_back(y);
  return g;
}

TEST(FuseTransformer, LayerNormAndGeluBecomeOneNodeEach) {
  for (bool half_first : {false, true}) {
    auto g = mlp_block(half_first, 18);
    ASSERT_TRUE(optimize(*g, 2).is_ok());
    EXPECT_EQ(count_op(*g, Op::kLayerNormalization), 2) << half_first;
    EXPECT_EQ(count_op(*g, Op::kGelu), 1) << half_first;
    EXPECT_EQ(count_op(*g, Op::kGemm), 1) << "fc1 + bias";
    EXPECT_EQ(count_op(*g, Op::kMatMul), 1) << "fc2 has no bias";
    for (Op gone : {Op::kReduceMean, Op::kPow, Op::kSqrt, Op::kDiv, Op::kErf, Op::kMul, Op::kSub})
      EXPECT_EQ(count_op(*g, gone), 0) << op_name(gone) << " half_first " << half_first;
    EXPECT_EQ(count_op(*g, Op::kAdd), 1) << "only the residual Add stays";
  }
}

TEST(FuseTransformer, PatternWithAnObservedIntermediateIsLeftAlone) {
  auto g = std::make_unique<Graph>();
  Value* x = g->add_input("x", DType::kF32, {3, 8});
  Value* y = gelu(*g, x, "g_", false);
  g->outputs.push_back(y);
  g->outputs.push_back(g->find_value("g_e"));  // the Erf output is a graph output
  ASSERT_TRUE(optimize(*g, 2).is_ok());
  EXPECT_EQ(count_op(*g, Op::kGelu), 0);
  EXPECT_EQ(count_op(*g, Op::kErf), 1);
}

TEST(FuseTransformer, FusedEqualsUnfusedOnBothBackends) {
  Tensor x = test::random_f32({2, 7, 24}, 7, -2.f, 2.f);
  for (bool half_first : {false, true}) {
    std::vector<Tensor> ref = test::run_graph(mlp_block(half_first, 13), std::span<const Tensor>(&x, 1), 1, "reference");
    ASSERT_EQ(ref.size(), 1u);
    for (const char* backend : {"reference", "onednn"}) {
      std::vector<Tensor> got = test::run_graph(mlp_block(half_first, 13), std::span<const Tensor>(&x, 1), 2, backend);
      ASSERT_EQ(got.size(), 1u);
      ASSERT_EQ(got[0].shape(), ref[0].shape());
      double max_ref = 0, max_err = 0;
      for (int64_t i = 0; i < ref[0].numel(); ++i) {
        max_ref = std::max(max_ref, static_cast<double>(std::abs(ref[0].data<float>()[i])));
        max_err = std::max(max_err, static_cast<double>(std::abs(got[0].data<float>()[i] - ref[0].data<float>()[i])));
      }
      // The unfused graph rounds every intermediate to f32; the fused kernels round once (and oneDNN
      // sums in its own order): the DESIGN.md logit bound.
      EXPECT_LE(max_err, 1e-4 * max_ref) << backend << " half_first " << half_first;
    }
  }
}

// Self-attention over x [B, T, C] as torch.onnx writes it (heads split by Reshape + Transpose, the scores
// scaled by a Mul), with linear layers MatMul + Add (separate Q, K, V projections, as Hugging Face's ViT
// has them). `cross`: K and V project a second input m (cross-attention).
std::unique_ptr<Graph> attention_block(int64_t heads, bool cross = false) {
  const int64_t b = 2, t = 5, c = 12, d = c / heads;
  auto g = std::make_unique<Graph>();
  Value* x = g->add_input("x", DType::kF32, {b, t, c});
  Value* m = cross ? g->add_input("m", DType::kF32, {b, t, c}) : x;
  auto i64 = [&](const std::string& name, std::vector<int64_t> v) {
    auto n = static_cast<int64_t>(v.size());
    return g->add_constant(name, Tensor::from_vector(DType::kI64, {n}, std::move(v)));
  };
  auto linear = [&](Value* in, const std::string& p, uint32_t seed) {
    Value* y = node(*g, "MatMul", {in, g->add_constant(p + "w", test::random_f32({c, c}, seed, -0.5f, 0.5f))}, p + "mm");
    return node(*g, "Add", {y, g->add_constant(p + "b", test::random_f32({c}, seed + 1))}, p + "y");
  };
  auto split = [&](Value* in, const std::string& p, std::vector<int64_t> perm) {
    Value* r = node(*g, "Reshape", {in, i64(p + "shape", {b, t, heads, d})}, p + "heads");
    return node(*g, "Transpose", {r}, p + "t", {{"perm", Attr::of_ints(std::move(perm))}});
  };
  Value* q = split(linear(x, "q_", 21), "q_", {0, 2, 1, 3});
  Value* k = split(linear(m, "k_", 23), "k_", {0, 2, 3, 1});
  Value* v = split(linear(m, "v_", 25), "v_", {0, 2, 1, 3});
  Value* s = node(*g, "MatMul", {q, k}, "scores");
  s = node(*g, "Mul", {s, scalar(*g, "scale", 1.f / std::sqrt(static_cast<float>(d)))}, "scaled");
  Value* p = node(*g, "Softmax", {s}, "probs", {{"axis", Attr::of_int(-1)}});
  Value* o = node(*g, "Transpose", {node(*g, "MatMul", {p, v}, "pv")}, "merged", {{"perm", Attr::of_ints({0, 2, 1, 3})}});
  Value* y = linear(node(*g, "Reshape", {o, i64("o_shape", {b, t, c})}, "o_flat"), "o_", 27);
  g->outputs.push_back(node(*g, "Add", {x, y}, "out"));
  return g;
}

// Fused (oneDNN and reference) against the unfused graph (reference, opt level 1).
void expect_fused_matches_unfused(bool cross) {
  std::vector<Tensor> in{test::random_f32({2, 5, 12}, 9, -2.f, 2.f)};
  if (cross) in.push_back(test::random_f32({2, 5, 12}, 10, -2.f, 2.f));
  std::vector<Tensor> ref = test::run_graph(attention_block(3, cross), in, 1, "reference");
  ASSERT_EQ(ref.size(), 1u);
  for (const char* backend : {"reference", "onednn"}) {
    std::vector<Tensor> got = test::run_graph(attention_block(3, cross), in, 2, backend);
    ASSERT_EQ(got.size(), 1u);
    double max_ref = 0, max_err = 0;
    for (int64_t i = 0; i < ref[0].numel(); ++i) {
      max_ref = std::max(max_ref, static_cast<double>(std::abs(ref[0].data<float>()[i])));
      max_err = std::max(max_err, static_cast<double>(std::abs(got[0].data<float>()[i] - ref[0].data<float>()[i])));
    }
    EXPECT_LE(max_err, 1e-4 * max_ref) << backend << " cross " << cross;  // the DESIGN.md logit bound
  }
}

// Self-attention: the scale folds into the query's Gemm, then Q, K and V (one input) become one Gemm of
// the three weight matrices side by side and a Split.
TEST(FuseTransformer, AttentionScaleFoldsAndProjectionsMerge) {
  auto g = attention_block(3);
  ASSERT_TRUE(optimize(*g, 2).is_ok());
  EXPECT_EQ(count_op(*g, Op::kMul), 0) << "the scale Mul is folded";
  EXPECT_EQ(count_op(*g, Op::kGemm), 2) << "Q K V merged, and the output projection";
  EXPECT_EQ(count_op(*g, Op::kSplit), 1);
  for (const auto& n : g->nodes())
    if (n->op == Op::kGemm) EXPECT_EQ(n->attr_float("alpha", 1.f), 1.f) << "the scale is in the merged weights";
  expect_fused_matches_unfused(false);
}

// Cross-attention: Q reads x, K and V read m. The scale folds into Q's Gemm (alpha = beta = 1/sqrt(4)),
// K and V merge.
TEST(FuseTransformer, AttentionScaleFoldsIntoTheQueryGemm) {
  auto g = attention_block(3, true);
  ASSERT_TRUE(optimize(*g, 2).is_ok());
  EXPECT_EQ(count_op(*g, Op::kMul), 0) << "the scale Mul is folded";
  EXPECT_EQ(count_op(*g, Op::kGemm), 3) << "Q, K+V merged, the output projection";
  EXPECT_EQ(count_op(*g, Op::kSplit), 1);
  int scaled = 0;
  for (const auto& n : g->nodes())
    if (n->op == Op::kGemm && n->attr_float("alpha", 1.f) != 1.f) {
      ++scaled;
      EXPECT_FLOAT_EQ(n->attr_float("alpha", 1.f), 0.5f);
      EXPECT_FLOAT_EQ(n->attr_float("beta", 1.f), 0.5f);
    }
  EXPECT_EQ(scaled, 1);
  expect_fused_matches_unfused(true);
}

TEST(FuseTransformer, AttentionScaleStaysWhenTheQueryHasAnotherReader) {
  auto g = attention_block(3);
  g->outputs.push_back(g->find_value("q_t"));  // the split query is observed
  g->outputs.push_back(g->find_value("k_t"));
  ASSERT_TRUE(optimize(*g, 2).is_ok());
  EXPECT_EQ(count_op(*g, Op::kMul), 1);
}

}  // namespace
}  // namespace inr
