// fuse_qdq (src/passes/quant_qdq.h): QDQ Conv / MatMul graphs are rewritten to QLinearConv / QLinearMatMul,
// and the rewritten graph satisfies the equality the pass documents: every element of the quantized output
// is within one quantization step of the float QDQ graph's (run unoptimised), and it is bit-exact to the
// integer operator evaluated on the same integers.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "inr/session.h"
#include "ops/op_schema.h"
#include "ops/quant_util.h"
#include "passes/passes.h"
#include "passes/quant_qdq.h"
#include "test_util.h"

namespace inr {
namespace {

constexpr float kXScale = 0.05f, kYScale = 0.08f;

Value* constant(Graph& g, const std::string& name, Tensor t) { return g.add_constant(name, std::move(t)); }
Value* value(Graph& g, const std::string& name) { return g.add_value(name); }
Tensor scalar_f32(float v) { return Tensor::from_vector<float>(DType::kF32, {}, {v}); }
Tensor scalar_u8(uint8_t v) { return Tensor::from_vector<uint8_t>(DType::kU8, {}, {v}); }

// A weight tensor of dtype `t` holding `values` (4-bit types packed two per byte).
Tensor int_tensor(DType t, Shape shape, const std::vector<int>& values) {
  Tensor w = Tensor::zeros(t, std::move(shape));
  for (int64_t i = 0; i < w.numel(); ++i) store_qint(w, i, values[static_cast<size_t>(i)]);
  return w;
}

// x -> Q -> DQ -> Conv(DQ(w per-channel), DQ(bias int32)) -> activation -> Q(u8, zp 0) -> DQ -> y
// w is s8 (zero point 0), s4 (zero point 0) or u4 (zero point 8), with `wide` the s8 tensor of the same
// integers minus the zero point when given (so the s4/u4 graphs compute exactly what an s8 graph does).
std::unique_ptr<Graph> qdq_conv_graph(const std::string& activation, DType wt = DType::kI8) {
  auto g = std::make_unique<Graph>();
  constexpr int64_t kM = 6, kC = 4;
  Value* x = value(*g, "x");
  x->dtype = DType::kF32;
  x->shape = {2, kC, 9, 11};
  x->has_shape = true;
  g->inputs = {x};
  Value* sx = constant(*g, "sx", scalar_f32(kXScale));
  Value* zx = constant(*g, "zx", scalar_u8(128));
  Value* xq = value(*g, "xq");
  Value* xf = value(*g, "xf");
  g->add_node("qx", "QuantizeLinear", "", {x, sx, zx}, {xq});
  g->add_node("dqx", "DequantizeLinear", "", {xq, sx, zx}, {xf});
  std::mt19937 rng(5);
  QRange wr = qrange(wt);
  if (wt == DType::kI8) wr.lo = -127;
  std::uniform_int_distribution<int> wd(wr.lo, wr.hi), bd(-2000, 2000);
  std::vector<int> wv(static_cast<size_t>(kM * kC * 9));
  for (int& v : wv) v = wd(rng);
  Tensor w = int_tensor(wt, {kM, kC, 3, 3}, wv);
  const int w_zp = wt == DType::kU4 ? 8 : 0;
  std::vector<float> sw(kM), sb(kM);
  Tensor b = Tensor::empty(DType::kI32, {kM});
  for (int64_t m = 0; m < kM; ++m) {
    sw[m] = 0.002f + 0.001f * static_cast<float>(m);
    sb[m] = kXScale * sw[m];
    b.data<int32_t>()[m] = bd(rng);
  }
  Value* wf = value(*g, "wf");
  Node* dqw = g->add_node("dqw", "DequantizeLinear", "",
                          {constant(*g, "w", w), constant(*g, "sw", Tensor::from_vector(DType::kF32, {kM}, sw)),
                           constant(*g, "zw", int_tensor(wt, {kM}, std::vector<int>(kM, w_zp)))},
                          {wf});
  dqw->attrs["axis"] = Attr::of_int(0);
  Value* bf = value(*g, "bf");
  Node* dqb = g->add_node("dqb", "DequantizeLinear", "",
                          {constant(*g, "b", b), constant(*g, "sb", Tensor::from_vector(DType::kF32, {kM}, sb))}, {bf});
  dqb->attrs["axis"] = Attr::of_int(0);
  Value* c = value(*g, "c");
  Node* conv = g->add_node("conv", "Conv", "", {xf, wf, bf}, {c});
  conv->attrs["pads"] = Attr::of_ints({1, 1, 1, 1});
  Value* pre_q = c;
  if (!activation.empty()) {
    pre_q = value(*g, "act");
    std::vector<Value*> ins = {c};
    if (activation == "Clip") {
      ins.push_back(constant(*g, "lo", scalar_f32(0.f)));
      ins.push_back(constant(*g, "hi", scalar_f32(1000.f)));
    }
    g->add_node("act", activation, "", ins, {pre_q});
  }
  Value* sy = constant(*g, "sy", scalar_f32(kYScale));
  Value* zy = constant(*g, "zy", scalar_u8(0));
  Value* yq = value(*g, "yq");
  Value* y = value(*g, "y");
  g->add_node("qy", "QuantizeLinear", "", {pre_q, sy, zy}, {yq});
  g->add_node("dqy", "DequantizeLinear", "", {yq, sy, zy}, {y});
  g->outputs = {y};
  return g;
}

using test::count_op;

std::vector<Tensor> run(std::unique_ptr<Graph> g, int opt_level, const Tensor& x) {
  return test::run_graph(std::move(g), std::span<const Tensor>(&x, 1), opt_level);
}

class QdqConv : public ::testing::TestWithParam<std::string> {};

TEST_P(QdqConv, RewritesToQLinearConvWithinOneStep) {
  auto g = qdq_conv_graph(GetParam());
  Shape xs = {2, 4, 9, 11};
  ASSERT_TRUE(bind_input_shapes(*g, std::span<const Shape>(&xs, 1)).is_ok());
  { Status st = optimize(*g, 1); ASSERT_TRUE(st.is_ok()) << st.message(); }
  EXPECT_EQ(count_op(*g, Op::kQLinearConv), 1);
  EXPECT_EQ(count_op(*g, Op::kConv), 0);
  EXPECT_EQ(count_op(*g, Op::kRelu) + count_op(*g, Op::kClip), 0) << "the activation is a no-op after saturation";

  Tensor x = test::random_f32(xs, 3, -3.f, 3.f);
  std::vector<Tensor> float_qdq = run(qdq_conv_graph(GetParam()), 0, x);
  std::vector<Tensor> integer = run(qdq_conv_graph(GetParam()), 1, x);
  ASSERT_EQ(float_qdq.size(), 1u);
  ASSERT_EQ(integer.size(), 1u);
  int64_t differ = 0;
  for (int64_t i = 0; i < x.numel() / 4 * 6; ++i) {
    double d = std::abs(static_cast<double>(float_qdq[0].data<float>()[i]) - integer[0].data<float>()[i]);
    EXPECT_LE(d, kYScale * 1.0001) << "element " << i;
    differ += d != 0;
  }
  std::cout << "[fuse_qdq] " << differ << " of " << float_qdq[0].numel() << " outputs one step from the float QDQ graph\n";
  EXPECT_LE(differ, float_qdq[0].numel() / 100);
}

INSTANTIATE_TEST_SUITE_P(Activations, QdqConv, ::testing::Values("", "Relu", "Clip"),
                         [](const auto& info) { return info.param.empty() ? std::string("none") : info.param; });

// A Relu whose Q has y_zp in the middle of the range is not a no-op: it must stay, and so must the Conv.
TEST(QdqConvPass, KeepsActivationThatIsNotSaturation) {
  auto g = qdq_conv_graph("Relu");
  for (const auto& v : g->values())
    if (v->name == "zy") v->constant = scalar_u8(100);
  Shape xs = {2, 4, 9, 11};
  ASSERT_TRUE(bind_input_shapes(*g, std::span<const Shape>(&xs, 1)).is_ok());
  { Status st = optimize(*g, 1); ASSERT_TRUE(st.is_ok()) << st.message(); }
  EXPECT_EQ(count_op(*g, Op::kQLinearConv), 0);
}

// The rewritten node is bit-exact to QLinearConv on the same integers: the pass output's Q values equal a
// QLinearConv node's built by hand from the graph's initializers.
TEST(QdqConvPass, MatchesHandBuiltQLinearConv) {
  auto g = qdq_conv_graph("");
  Shape xs = {2, 4, 9, 11};
  ASSERT_TRUE(bind_input_shapes(*g, std::span<const Shape>(&xs, 1)).is_ok());
  { Status st = optimize(*g, 1); ASSERT_TRUE(st.is_ok()) << st.message(); }
  const Node* qc = nullptr;
  for (const auto& n : g->nodes())
    if (n->op == Op::kQLinearConv) qc = n.get();
  ASSERT_NE(qc, nullptr);
  EXPECT_EQ(qc->inputs.size(), 9u) << "the int32 bias is carried over";
  EXPECT_EQ(qc->inputs[3]->name, "w");
  EXPECT_EQ(qc->inputs[8]->name, "b");
  EXPECT_EQ(qc->attr_ints("pads"), (std::vector<int64_t>{1, 1, 1, 1}));
}

TEST(QdqMatMulPass, RewritesToQLinearMatMul) {
  auto g = std::make_unique<Graph>();
  Value* a = value(*g, "a");
  a->dtype = DType::kF32;
  a->shape = {3, 16};
  a->has_shape = true;
  g->inputs = {a};
  Value* sa = constant(*g, "sa", scalar_f32(0.1f));
  Value* za = constant(*g, "za", scalar_u8(10));
  Value* aq = value(*g, "aq");
  Value* af = value(*g, "af");
  g->add_node("qa", "QuantizeLinear", "", {a, sa, za}, {aq});
  g->add_node("dqa", "DequantizeLinear", "", {aq, sa, za}, {af});
  Tensor b = Tensor::empty(DType::kI8, {16, 5});
  for (int64_t i = 0; i < b.numel(); ++i) b.data<int8_t>()[i] = static_cast<int8_t>((i * 37) % 200 - 100);
  Value* bf = value(*g, "bf");
  g->add_node("dqb", "DequantizeLinear", "", {constant(*g, "b", b), constant(*g, "sb", scalar_f32(0.01f))}, {bf});
  Value* c = value(*g, "c");
  g->add_node("mm", "MatMul", "", {af, bf}, {c});
  Value* yq = value(*g, "yq");
  g->add_node("qy", "QuantizeLinear", "", {c, constant(*g, "sy", scalar_f32(0.2f)), constant(*g, "zy", scalar_u8(128))}, {yq});
  g->outputs = {yq};
  Shape as = {3, 16};
  ASSERT_TRUE(bind_input_shapes(*g, std::span<const Shape>(&as, 1)).is_ok());
  { Status st = optimize(*g, 1); ASSERT_TRUE(st.is_ok()) << st.message(); }
  EXPECT_EQ(count_op(*g, Op::kQLinearMatMul), 1);
  EXPECT_EQ(count_op(*g, Op::kMatMul), 0);
}

// x1, x2 -> Q -> DQ -> Add [-> Relu] -> Q -> y (u8): a residual add of a QDQ model.
std::unique_ptr<Graph> qdq_add_graph(bool relu) {
  auto g = std::make_unique<Graph>();
  std::vector<Value*> deq;
  for (int i = 0; i < 2; ++i) {
    std::string k = std::to_string(i);
    Value* x = value(*g, "x" + k);
    x->dtype = DType::kF32;
    g->inputs.push_back(x);
    Value* s = constant(*g, "s" + k, scalar_f32(i == 0 ? 0.5f : 0.25f));
    Value* z = constant(*g, "z" + k, scalar_u8(i == 0 ? 10 : 200));
    Value* q = value(*g, "q" + k);
    Value* d = value(*g, "d" + k);
    g->add_node("q" + k, "QuantizeLinear", "", {x, s, z}, {q});
    g->add_node("dq" + k, "DequantizeLinear", "", {q, s, z}, {d});
    deq.push_back(d);
  }
  Value* sum = value(*g, "sum");
  g->add_node("add", "Add", "", {deq[0], deq[1]}, {sum});
  if (relu) {
    Value* r = value(*g, "r");
    g->add_node("relu", "Relu", "", {sum}, {r});
    sum = r;
  }
  Value* yq = value(*g, "yq");
  g->add_node("qy", "QuantizeLinear", "", {sum, constant(*g, "sy", scalar_f32(0.5f)), constant(*g, "zy", scalar_u8(7))},
              {yq});
  g->outputs = {yq};
  return g;
}

// DQ -> Add -> Q becomes QLinearAdd, as ONNX Runtime's QDQ fusion does, and rounds exact ties half to even
// like ORT's kernel: these scales make (x1 - 10) / 2 + (x2 - 200) / 4 + 7 land on .5 often.
TEST(QdqAddPass, RewritesToQLinearAdd) {
  auto g = qdq_add_graph(false);
  std::vector<Shape> xs = {{2, 3, 5, 7}, {2, 3, 5, 7}};
  ASSERT_TRUE(bind_input_shapes(*g, xs).is_ok());
  { Status st = optimize(*g, 1); ASSERT_TRUE(st.is_ok()) << st.message(); }
  ASSERT_EQ(count_op(*g, Op::kQLinearAdd), 1);
  EXPECT_EQ(count_op(*g, Op::kAdd), 0);
  EXPECT_EQ(count_op(*g, Op::kDequantizeLinear), 0);

  std::vector<Tensor> x = {test::random_f32(xs[0], 5, -60.f, 60.f), test::random_f32(xs[1], 6, -40.f, 40.f)};
  std::vector<Tensor> out = test::run_graph(qdq_add_graph(false), x);
  ASSERT_EQ(out.size(), 1u);
  int ties = 0;
  for (int64_t i = 0; i < x[0].numel(); ++i) {
    auto q = [](float v, float scale, int zp) { return std::clamp<int>(std::nearbyint(v / scale) + zp, 0, 255); };
    int a = q(x[0].data<float>()[i], 0.5f, 10), b = q(x[1].data<float>()[i], 0.25f, 200);
    double exact = (a - 10) * 1.0 + (b - 200) * 0.5 + 7;  // (0.5 (a - 10) + 0.25 (b - 200)) / 0.5 + 7
    ties += exact != std::floor(exact) && exact >= 0 && exact <= 255;
    EXPECT_EQ(out[0].data<uint8_t>()[i], std::clamp(std::nearbyint(exact), 0.0, 255.0)) << "element " << i;
  }
  EXPECT_GT(ties, 20) << "the case should exercise ties";
}

// ORT does not fuse an activation between the Add and the Q: neither does inr (the float Add stays).
TEST(QdqAddPass, KeepsAddFollowedByRelu) {
  auto g = qdq_add_graph(true);
  std::vector<Shape> xs = {{4, 4}, {4, 4}};
  ASSERT_TRUE(bind_input_shapes(*g, xs).is_ok());
  { Status st = optimize(*g, 1); ASSERT_TRUE(st.is_ok()) << st.message(); }
  EXPECT_EQ(count_op(*g, Op::kQLinearAdd), 0);
  EXPECT_EQ(count_op(*g, Op::kAdd), 1);
}

// x -> Q -> DQ -> MaxPool -> Q(scale `out_scale`) -> y (u8).
std::unique_ptr<Graph> qdq_max_pool_graph(float out_scale) {
  auto g = std::make_unique<Graph>();
  Value* x = value(*g, "x");
  x->dtype = DType::kF32;
  g->inputs = {x};
  Value* s = constant(*g, "s", scalar_f32(0.1f));
  Value* z = constant(*g, "z", scalar_u8(30));
  Value* q = value(*g, "q");
  Value* d = value(*g, "d");
  g->add_node("q", "QuantizeLinear", "", {x, s, z}, {q});
  g->add_node("dq", "DequantizeLinear", "", {q, s, z}, {d});
  Value* p = value(*g, "p");
  Node* pool = g->add_node("pool", "MaxPool", "", {d}, {p});
  pool->attrs["kernel_shape"] = Attr::of_ints({3, 3});
  pool->attrs["strides"] = Attr::of_ints({2, 2});
  pool->attrs["pads"] = Attr::of_ints({1, 1, 1, 1});
  Value* yq = value(*g, "yq");
  g->add_node("qy", "QuantizeLinear", "", {p, constant(*g, "sy", scalar_f32(out_scale)), constant(*g, "zy", scalar_u8(30))},
              {yq});
  g->outputs = {yq};
  return g;
}

// With the same scale and zero point on both sides, DQ -> MaxPool -> Q is MaxPool on the integers, exactly.
TEST(QdqMaxPoolPass, PoolsTheIntegersExactly) {
  Shape xs = {2, 3, 11, 13};
  auto g = qdq_max_pool_graph(0.1f);
  ASSERT_TRUE(bind_input_shapes(*g, std::span<const Shape>(&xs, 1)).is_ok());
  { Status st = optimize(*g, 1); ASSERT_TRUE(st.is_ok()) << st.message(); }
  EXPECT_EQ(count_op(*g, Op::kDequantizeLinear), 0);
  EXPECT_EQ(count_op(*g, Op::kQuantizeLinear), 1) << "only the input's";
  Tensor x = test::random_f32(xs, 9, -4.f, 20.f);
  for (const std::string backend : {"reference", "onednn"}) {
    std::vector<Tensor> a = test::run_graph(qdq_max_pool_graph(0.1f), std::span<const Tensor>(&x, 1), 1, backend);
    std::vector<Tensor> b = test::run_graph(qdq_max_pool_graph(0.1f), std::span<const Tensor>(&x, 1), 0);
    ASSERT_TRUE(a.size() == 1 && b.size() == 1);
    ASSERT_EQ(a[0].bytes(), b[0].bytes());
    EXPECT_EQ(std::memcmp(a[0].raw(), b[0].raw(), a[0].bytes()), 0) << backend;
  }
}

TEST(QdqMaxPoolPass, KeepsPoolWhenScalesDiffer) {
  Shape xs = {1, 2, 6, 6};
  auto g = qdq_max_pool_graph(0.2f);
  ASSERT_TRUE(bind_input_shapes(*g, std::span<const Shape>(&xs, 1)).is_ok());
  { Status st = optimize(*g, 1); ASSERT_TRUE(st.is_ok()) << st.message(); }
  EXPECT_EQ(count_op(*g, Op::kDequantizeLinear), 1);
}

// x -> Q -> DQ -> Gemm(DQ(W s8 [N, K] per output row, transB), DQ(bias i32)) [-> Q] -> y
std::unique_ptr<Graph> qdq_gemm_graph(bool quantized_out, DType wt = DType::kI8) {
  constexpr int64_t kK = 24, kN = 10;
  auto g = std::make_unique<Graph>();
  Value* x = value(*g, "x");
  x->dtype = DType::kF32;
  g->inputs = {x};
  Value* sx = constant(*g, "sx", scalar_f32(0.02f));
  Value* zx = constant(*g, "zx", scalar_u8(128));
  Value* xq = value(*g, "xq");
  Value* xd = value(*g, "xd");
  g->add_node("qx", "QuantizeLinear", "", {x, sx, zx}, {xq});
  g->add_node("dqx", "DequantizeLinear", "", {xq, sx, zx}, {xd});
  std::vector<int> wv(static_cast<size_t>(kN * kK));
  for (size_t i = 0; i < wv.size(); ++i)
    wv[i] = wt == DType::kI4 ? static_cast<int>(i * 37 % 16) - 8 : static_cast<int>(i * 37 % 255) - 127;
  Tensor w = int_tensor(wt, {kN, kK}, wv);
  std::vector<float> ws, bs;
  for (int64_t j = 0; j < kN; ++j) {
    ws.push_back(0.003f + 0.0007f * static_cast<float>(j));
    bs.push_back(0.02f * ws.back());
  }
  Tensor b = Tensor::empty(DType::kI32, {kN});
  for (int64_t j = 0; j < kN; ++j) b.data<int32_t>()[j] = static_cast<int32_t>(j * 97 - 400);
  Value* wd = value(*g, "wd");
  Node* dqw = g->add_node("dqw", "DequantizeLinear", "",
                          {constant(*g, "w", w), constant(*g, "sw", Tensor::from_vector<float>(DType::kF32, {kN}, ws))}, {wd});
  dqw->attrs["axis"] = Attr::of_int(0);
  Value* bd = value(*g, "bd");
  Node* dqb = g->add_node("dqb", "DequantizeLinear", "",
                          {constant(*g, "b", b), constant(*g, "sb", Tensor::from_vector<float>(DType::kF32, {kN}, bs))}, {bd});
  dqb->attrs["axis"] = Attr::of_int(0);
  Value* h = value(*g, "h");
  g->add_node("fc", "Gemm", "", {xd, wd, bd}, {h})->attrs["transB"] = Attr::of_int(1);
  if (!quantized_out) {
    g->outputs = {h};
    return g;
  }
  Value* hq = value(*g, "hq");
  g->add_node("qh", "QuantizeLinear", "", {h, constant(*g, "sy", scalar_f32(0.05f)), constant(*g, "zy", scalar_u8(100))},
              {hq});
  g->outputs = {hq};
  return g;
}

// DQ -> Gemm -> Q becomes QGemm (ORT's QDQ fusion), within one output step of the float QDQ graph.
TEST(QdqGemmPass, RewritesToQGemm) {
  Shape xs = {4, 24};
  auto g = qdq_gemm_graph(true);
  ASSERT_TRUE(bind_input_shapes(*g, std::span<const Shape>(&xs, 1)).is_ok());
  { Status st = optimize(*g, 1); ASSERT_TRUE(st.is_ok()) << st.message(); }
  EXPECT_EQ(count_op(*g, Op::kQGemm), 1);
  EXPECT_EQ(count_op(*g, Op::kGemm), 0);
  Tensor x = test::random_f32(xs, 21, -2.5f, 2.5f);
  std::vector<Tensor> float_qdq = run(qdq_gemm_graph(true), 0, x);
  std::vector<Tensor> integer = run(qdq_gemm_graph(true), 1, x);
  ASSERT_EQ(float_qdq.size(), 1u);
  ASSERT_EQ(integer.size(), 1u);
  for (int64_t i = 0; i < 40; ++i)
    EXPECT_LE(std::abs(float_qdq[0].data<uint8_t>()[i] - integer[0].data<uint8_t>()[i]), 1) << "element " << i;
}

// A float-output DQ -> Gemm (a classifier's last layer) stays float, as in ORT, so the logits match ORT's.
TEST(QdqGemmPass, KeepsFloatOutputGemm) {
  Shape xs = {4, 24};
  auto g = qdq_gemm_graph(false);
  ASSERT_TRUE(bind_input_shapes(*g, std::span<const Shape>(&xs, 1)).is_ok());
  { Status st = optimize(*g, 1); ASSERT_TRUE(st.is_ok()) << st.message(); }
  EXPECT_EQ(count_op(*g, Op::kQGemm), 0);
  EXPECT_EQ(count_op(*g, Op::kGemm), 1);
}

// 4-bit weights (INT4 / UINT4 behind DequantizeLinear, opset 21) take the integer paths too: the pass widens
// them to 8 bits once and rewrites as for s8. The fused result equals the unfused graph's to one output step
// (the equality quant_qdq.h states) and is bit-identical on the reference and oneDNN backends.
class QdqConv4Bit : public ::testing::TestWithParam<DType> {};

TEST_P(QdqConv4Bit, WidensAndRewritesToQLinearConv) {
  const DType wt = GetParam();
  Shape xs = {2, 4, 9, 11};
  auto g = qdq_conv_graph("Relu", wt);
  ASSERT_TRUE(bind_input_shapes(*g, std::span<const Shape>(&xs, 1)).is_ok());
  { Status st = optimize(*g, 1); ASSERT_TRUE(st.is_ok()) << st.message(); }
  const Node* qc = nullptr;
  for (const auto& n : g->nodes())
    if (n->op == Op::kQLinearConv) qc = n.get();
  ASSERT_NE(qc, nullptr) << "DQ(4-bit w) -> Conv -> Q was not rewritten";
  EXPECT_EQ(count_op(*g, Op::kConv), 0);
  EXPECT_EQ(qc->inputs[3]->dtype, wt == DType::kI4 ? DType::kI8 : DType::kU8) << "weights widened to 8 bits";
  EXPECT_EQ(qc->inputs[5]->dtype, qc->inputs[3]->dtype) << "and the zero point with them";
  for (const auto& v : g->values())
    EXPECT_FALSE(v->is_constant() && !v->consumers.empty() && v->constant.dtype() == wt) << v->name << " still 4-bit";

  Tensor x = test::random_f32(xs, 3, -3.f, 3.f);
  std::vector<Tensor> float_qdq = run(qdq_conv_graph("Relu", wt), 0, x);
  std::vector<Tensor> ref = test::run_graph(qdq_conv_graph("Relu", wt), std::span<const Tensor>(&x, 1), 1, "reference");
  std::vector<Tensor> dnn = test::run_graph(qdq_conv_graph("Relu", wt), std::span<const Tensor>(&x, 1), 1, "onednn");
  ASSERT_TRUE(float_qdq.size() == 1 && ref.size() == 1 && dnn.size() == 1);
  ASSERT_EQ(ref[0].bytes(), dnn[0].bytes());
  EXPECT_EQ(std::memcmp(ref[0].raw(), dnn[0].raw(), ref[0].bytes()), 0) << "oneDNN differs from the reference";
  int64_t differ = 0;
  for (int64_t i = 0; i < float_qdq[0].numel(); ++i) {
    double d = std::abs(static_cast<double>(float_qdq[0].data<float>()[i]) - ref[0].data<float>()[i]);
    EXPECT_LE(d, kYScale * 1.0001) << "element " << i;
    differ += d != 0;
  }
  EXPECT_LE(differ, float_qdq[0].numel() / 100);
}

INSTANTIATE_TEST_SUITE_P(Types, QdqConv4Bit, ::testing::Values(DType::kI4, DType::kU4),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

TEST(QdqGemmPass, Int4WeightsRewriteToQGemm) {
  Shape xs = {4, 24};
  auto g = qdq_gemm_graph(true, DType::kI4);
  ASSERT_TRUE(bind_input_shapes(*g, std::span<const Shape>(&xs, 1)).is_ok());
  { Status st = optimize(*g, 1); ASSERT_TRUE(st.is_ok()) << st.message(); }
  EXPECT_EQ(count_op(*g, Op::kQGemm), 1);
  EXPECT_EQ(count_op(*g, Op::kGemm), 0);
  Tensor x = test::random_f32(xs, 21, -2.5f, 2.5f);
  std::vector<Tensor> float_qdq = run(qdq_gemm_graph(true, DType::kI4), 0, x);
  std::vector<Tensor> integer = run(qdq_gemm_graph(true, DType::kI4), 1, x);
  ASSERT_TRUE(float_qdq.size() == 1 && integer.size() == 1);
  for (int64_t i = 0; i < 40; ++i)
    EXPECT_LE(std::abs(float_qdq[0].data<uint8_t>()[i] - integer[0].data<uint8_t>()[i]), 1) << "element " << i;
}

}  // namespace
}  // namespace inr
