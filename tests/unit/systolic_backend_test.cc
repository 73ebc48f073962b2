// The Gemmini backend (backends/systolic/systolic_backend.h) in a Session: -x 0 (systolic-cpu), -x 1 (OS) and
// -x 2 (WS) give the same bits; convolutions and matmuls, whose arithmetic Gemmini shares with QLinearConv /
// QLinearMatMul, equal the reference backend bit for bit (with the folded ReLU / ReLU6 chains); the residual
// add, max pool and global average follow Gemmini, checked against arith.h element by element; nodes the
// Systolic EP refused fall back with a reason.
#include <algorithm>
#include <cstring>
#include <random>

#include <gtest/gtest.h>

#include "backends/systolic/arith.h"
#include "backends/systolic/systolic_backend.h"
#include "core/log.h"
#include "core/profiler.h"
#include "inr/session.h"
#include "ir/graph.h"
#include "ops/op_schema.h"
#include "ops/quant_util.h"

namespace inr {
namespace {

Tensor scalar_f32(float v) { return Tensor::from_vector<float>(DType::kF32, {}, {v}); }
Tensor random_s8(const Shape& shape, uint32_t seed, int lo = -128, int hi = 127) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> d(lo, hi);
  Tensor t = Tensor::empty(DType::kI8, shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<int8_t>()[i] = static_cast<int8_t>(d(rng));
  return t;
}

struct Builder {
  std::unique_ptr<Graph> g = std::make_unique<Graph>();
  int id = 0;
  Value* c(Tensor t) { return g->add_constant("c" + std::to_string(id++), std::move(t)); }
  Value* zp() { return c(Tensor::zeros(DType::kI8, {})); }
  Node* node(const std::string& op, std::vector<Value*> ins, std::string domain = "") {
    Value* out = g->add_value("v" + std::to_string(id++));
    Node* n = g->add_node("n" + std::to_string(id++), op, domain, std::move(ins), {out});
    return n;
  }
  Value* infer(Node* n) {
    Status s = infer_node(*n);
    EXPECT_TRUE(s.is_ok()) << s.message();
    return n->outputs[0];
  }
  // QLinearConv with seeded weights; y_scale keeps outputs spread over tens of LSBs, some saturating.
  Value* conv(Value* x, int64_t cout, int64_t k, int64_t stride, int64_t pad, int64_t group, bool bias, float ys,
              Tensor w = Tensor()) {
    int64_t cin = x->shape[1];
    if (!w.defined()) w = random_s8({cout, cin / group, k, k}, 100 + id);
    std::vector<Value*> ins{x, c(scalar_f32(0.02f)), zp(), c(std::move(w)),
                            c(scalar_f32(0.003f)), zp(), c(scalar_f32(ys)), zp()};
    if (bias) {
      std::mt19937 rng(id);
      std::uniform_int_distribution<int32_t> d(-3000, 3000);
      std::vector<int32_t> b(static_cast<size_t>(cout));
      for (int32_t& v : b) v = d(rng);
      ins.push_back(c(Tensor::from_vector<int32_t>(DType::kI32, {cout}, b)));
    }
    Node* n = node("QLinearConv", std::move(ins));
    n->attrs = {{"kernel_shape", Attr::of_ints({k, k})},
                {"strides", Attr::of_ints({stride, stride})},
                {"pads", Attr::of_ints({pad, pad, pad, pad})},
                {"group", Attr::of_int(group)}};
    return infer(n);
  }
  // DQ -> Relu (hi < 0) or Clip(0, hi) -> Q with one scale: the --target gemmini activation.
  Value* act(Value* x, float scale, float hi) {
    Value* s = c(scalar_f32(scale));
    Value* d = infer(node("DequantizeLinear", {x, s, zp()}));
    Value* a = hi < 0 ? infer(node("Relu", {d})) : infer(node("Clip", {d, c(scalar_f32(0.f)), c(scalar_f32(hi))}));
    return infer(node("QuantizeLinear", {a, s, zp()}));
  }
};

std::vector<Tensor> run(std::unique_ptr<Graph> g, const std::string& backend, const std::vector<Tensor>& inputs,
                        std::string* placement = nullptr, int opt_level = 0, Profiler* profiler = nullptr) {
  SessionOptions o;
  o.backend = backend;
  o.opt_level = opt_level;
  o.profiler = profiler;
  auto s = Session::create(std::move(g), o);
  EXPECT_TRUE(s.is_ok()) << s.status().message();
  std::vector<Shape> shapes;
  for (const Tensor& t : inputs) shapes.push_back(t.shape());
  if (placement) *placement = (*s)->placement_summary(shapes).value();
  auto out = (*s)->run(inputs);
  EXPECT_TRUE(out.is_ok()) << out.status().message();
  return out.is_ok() ? *out : std::vector<Tensor>{};
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() && std::memcmp(a.raw(), b.raw(), a.bytes()) == 0;
}

// conv (bias, ReLU) -> depthwise conv (ReLU6) -> 1x1 conv (no bias), and a matmul with ReLU, on odd sizes.
std::unique_ptr<Graph> conv_net(float relu6_hi) {
  Builder b;
  Value* x = b.g->add_input("x", DType::kI8, {2, 5, 13, 11});
  Value* y = b.act(b.conv(x, 19, 3, 2, 1, 1, true, 0.05f), 0.05f, -1.f);
  y = b.act(b.conv(y, 19, 3, 1, 1, 19, true, 0.02f), 0.02f, relu6_hi);
  y = b.conv(y, 7, 1, 1, 0, 1, false, 0.03f);
  b.g->outputs.push_back(y);
  return std::move(b.g);
}

TEST(SystolicBackend, ConvsAndMatmulsEqualTheReferenceInEveryMode) {
  const std::vector<Tensor> in{random_s8({2, 5, 13, 11}, 5)};
  const std::vector<Tensor> want = run(conv_net(0.9f), "reference", in);
  ASSERT_EQ(want.size(), 1u);
  int64_t zeros = 0, tops = 0;  // the ReLU6 bound is hit: 0.9 / 0.02 = 45
  std::vector<Tensor> mid = run([] {
    Builder b;
    Value* x = b.g->add_input("x", DType::kI8, {2, 5, 13, 11});
    Value* y = b.act(b.conv(x, 19, 3, 2, 1, 1, true, 0.05f), 0.05f, -1.f);
    b.g->outputs.push_back(b.act(b.conv(y, 19, 3, 1, 1, 19, true, 0.02f), 0.02f, 0.9f));
    return std::move(b.g);
  }(), "systolic-ws", in);
  for (int64_t i = 0; i < mid[0].numel(); ++i) {
    zeros += mid[0].data<int8_t>()[i] == 0;
    tops += mid[0].data<int8_t>()[i] == 45;
  }
  EXPECT_GT(zeros, 0);
  EXPECT_GT(tops, 0);
  for (const char* mode : {"systolic-cpu", "systolic-os", "systolic-ws"}) {
    std::string placement;
    std::vector<Tensor> got = run(conv_net(0.9f), mode, in, &placement);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_TRUE(same_bytes(got[0], want[0])) << mode;
    // Every node on the emulated Gemmini (the activation chains folded into the convs).
    EXPECT_EQ(placement, std::string(mode) + ": 9 nodes") << placement;
  }
  auto matmul = [] {
    Builder b;
    Value* a = b.g->add_input("a", DType::kI8, {37, 50});
    Node* n = b.node("QLinearMatMul", {a, b.c(scalar_f32(0.02f)), b.zp(), b.c(random_s8({50, 45}, 9)),
                                       b.c(scalar_f32(0.004f)), b.zp(), b.c(scalar_f32(0.01f)), b.zp()});
    b.g->outputs.push_back(b.act(b.infer(n), 0.01f, -1.f));
    return std::move(b.g);
  };
  const std::vector<Tensor> a{random_s8({37, 50}, 6)};
  const std::vector<Tensor> mm = run(matmul(), "reference", a);
  for (const char* mode : {"systolic-cpu", "systolic-os", "systolic-ws"})
    EXPECT_TRUE(same_bytes(run(matmul(), mode, a)[0], mm[0])) << mode;
}

// Weights over the whole s8 range with output channel 0 all -128 and channel 1 all 127.
Tensor extreme_s8(const Shape& shape, uint32_t seed) {
  Tensor w = random_s8(shape, seed);
  const int64_t k = w.numel() / shape[0];
  for (int64_t i = 0; i < k; ++i) w.data<int8_t>()[i] = -128, w.data<int8_t>()[k + i] = 127;
  return w;
}

// -x 0 takes its accumulators from oneDNN's int8 kernels (onednn_s32_conv.h), channels-last between the
// convolutions and residual adds inside the partition, and keeps inr's own kernel where oneDNN's float
// store could round (sums that can pass 2^24). Same bits as the tile models with weights of -128 / 127 and
// inputs at the ends of the range (where, without VNNI, int16 pair sums saturate: tier_*.Systolic).
TEST(SystolicBackend, CpuModeOnOnednnEqualsTheTileModelsAtTheExtremes) {
  auto net = [] {
    Builder b;
    Value* x = b.g->add_input("x", DType::kI8, {2, 7, 11, 9});
    Value* a = b.act(b.conv(x, 12, 3, 1, 1, 1, true, 0.25f, extreme_s8({12, 7, 3, 3}, 1)), 0.05f, -1.f);
    Value* d = b.act(b.conv(a, 12, 3, 2, 1, 12, true, 0.05f, extreme_s8({12, 1, 3, 3}, 2)), 0.05f, 0.9f);
    Value* p = b.conv(d, 12, 1, 1, 0, 1, false, 0.02f, extreme_s8({12, 12, 1, 1}, 3));
    Node* add = b.node("QLinearAdd", {d, b.c(scalar_f32(0.05f)), b.zp(), p, b.c(scalar_f32(0.05f)), b.zp(),
                                      b.c(scalar_f32(0.1f)), b.zp()}, "com.microsoft");
    Value* sum = b.act(b.infer(add), 0.1f, -1.f);
    Value* wide = b.act(b.conv(sum, 64, 1, 1, 0, 1, true, 0.005f), 0.005f, -1.f);
    // K = 64 * 9 = 576 with weights of 127: 255 * 127 * 576 > 2^24, inr's own kernel.
    Tensor w = extreme_s8({5, 64, 3, 3}, 4);
    for (int64_t i = 0; i < 576; ++i) w.data<int8_t>()[i] = 127;
    b.g->outputs.push_back(b.conv(wide, 5, 3, 1, 1, 1, true, 1.f, w));
    return std::move(b.g);
  };
  Tensor x = random_s8({2, 7, 11, 9}, 7);
  for (int64_t i = 0; i < x.numel(); i += 2) x.data<int8_t>()[i] = static_cast<int8_t>(i % 4 ? -128 : 127);
  const std::vector<Tensor> in{x};
  const LogLevel level = log_level();
  set_log_level(LogLevel::kDebug);
  ::testing::internal::CaptureStderr();
  std::string placement;
  const std::vector<Tensor> cpu = run(net(), "systolic-cpu", in, &placement);
  const std::string log = ::testing::internal::GetCapturedStderr();
  set_log_level(level);
  ASSERT_EQ(cpu.size(), 1u);
  EXPECT_EQ(placement, "systolic-cpu: 18 nodes") << placement;
  // Four convolutions on oneDNN, the last on inr's kernel, and why.
  int64_t fast = 0;
  for (size_t pos = log.find("oneDNN int8 accumulators"); pos != std::string::npos;
       pos = log.find("oneDNN int8 accumulators", pos + 1))
    ++fast;
  EXPECT_EQ(fast, 4) << log;
  EXPECT_NE(log.find("reference int8 accumulators (an output channel's sum could reach"), std::string::npos) << log;
  const int8_t* v = cpu[0].data<int8_t>();
  EXPECT_NE(*std::min_element(v, v + cpu[0].numel()), *std::max_element(v, v + cpu[0].numel()));  // not degenerate
  for (const char* mode : {"systolic-os", "systolic-ws"}) EXPECT_TRUE(same_bytes(run(net(), mode, in)[0], cpu[0])) << mode;
}

// QLinearAdd (+ ReLU chain), MaxPool with padding, QLinearGlobalAveragePool: Gemmini's arithmetic.
TEST(SystolicBackend, ResaddPoolAndAverageFollowGemmini) {
  const Shape shape{1, 3, 7, 6};
  auto net = [&] {
    Builder b;
    Value* x1 = b.g->add_input("x1", DType::kI8, shape);
    Value* x2 = b.g->add_input("x2", DType::kI8, shape);
    Node* add = b.node("QLinearAdd", {x1, b.c(scalar_f32(0.2f)), b.zp(), x2, b.c(scalar_f32(0.05f)), b.zp(),
                                      b.c(scalar_f32(0.1f)), b.zp()}, "com.microsoft");
    Value* sum = b.act(b.infer(add), 0.1f, -1.f);
    Node* pool = b.node("MaxPool", {x1});
    pool->attrs = {{"kernel_shape", Attr::of_ints({3, 3})}, {"strides", Attr::of_ints({2, 2})},
                   {"pads", Attr::of_ints({1, 1, 1, 1})}};
    Node* gap = b.node("QLinearGlobalAveragePool", {x2, b.c(scalar_f32(0.3f)), b.zp(), b.c(scalar_f32(0.3f)), b.zp()},
                       "com.microsoft");
    b.g->outputs = {sum, b.infer(pool), b.infer(gap)};
    return std::move(b.g);
  };
  const std::vector<Tensor> in{random_s8(shape, 1, -128, -1), random_s8(shape, 2)};  // x1 all negative
  std::vector<Tensor> cpu = run(net(), "systolic-cpu", in);
  ASSERT_EQ(cpu.size(), 3u);
  for (const char* mode : {"systolic-os", "systolic-ws"}) {
    std::vector<Tensor> got = run(net(), mode, in);
    for (size_t i = 0; i < 3; ++i) EXPECT_TRUE(same_bytes(got[i], cpu[i])) << mode << " output " << i;
  }
  const int8_t* a = in[0].data<int8_t>();
  const int8_t* b = in[1].data<int8_t>();
  for (int64_t i = 0; i < in[0].numel(); ++i)
    ASSERT_EQ(cpu[0].data<int8_t>()[i], systolic::resadd(a[i], 0.2f / 0.1f, b[i], 0.05f / 0.1f, true)) << i;
  // x1 is negative everywhere: a window that covers padding pools to 0 on Gemmini (every border output);
  // the one output whose window is inside the input is the true max.
  const Tensor& pooled = cpu[1];
  ASSERT_EQ(pooled.shape(), (Shape{1, 3, 4, 3}));
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t oh = 0; oh < 4; ++oh)
      for (int64_t ow = 0; ow < 3; ++ow) {
        int8_t got = pooled.data<int8_t>()[(c * 4 + oh) * 3 + ow];
        bool inside = oh >= 1 && oh * 2 + 1 < 7 && ow >= 1 && ow * 2 + 1 < 6;
        if (!inside) {
          EXPECT_EQ(got, 0) << c << " " << oh << " " << ow;
        } else {
          int m = -128;
          for (int r = -1; r <= 1; ++r)
            for (int q = -1; q <= 1; ++q) m = std::max<int>(m, a[(c * 7 + oh * 2 + r) * 6 + ow * 2 + q]);
          EXPECT_EQ(got, m);
        }
      }
  for (int64_t c = 0; c < 3; ++c) {
    int32_t sum = 0;
    for (int64_t i = 0; i < 42; ++i) sum += b[c * 42 + i];
    EXPECT_EQ(cpu[2].data<int8_t>()[c], systolic::global_average(sum, systolic::global_average_scale(42, 0.3f, 0.3f)));
  }
}

// -x 2 at -O 99: the one-group convs run Gemmini's conv loop model (no im2col; a fused MaxPool through the pooled
// mvout), the depthwise conv im2col + matmul; the bits equal the CPU mode's and -O 0's (im2col everywhere):
// the 7x7 stride-2 stem on 3 channels (first-layer pixel repeats) + ReLU + padded 3x3 stride-2 MaxPool, a 3x3
// conv with ReLU6, a 1x1 stride-2 conv (downsample) and a depthwise conv, at odd sizes and batch 2.
TEST(SystolicBackend, ConvLoopAtO99IsBitIdenticalToTheCpuMode) {
  const Shape shape{2, 3, 29, 31};
  auto net = [&] {
    Builder b;
    Value* x = b.g->add_input("x", DType::kI8, shape);
    Value* y = b.act(b.conv(x, 20, 7, 2, 3, 1, true, 0.05f), 0.05f, -1.f);
    Node* pool = b.node("MaxPool", {y});
    pool->attrs = {{"kernel_shape", Attr::of_ints({3, 3})}, {"strides", Attr::of_ints({2, 2})},
                   {"pads", Attr::of_ints({1, 1, 1, 1})}};
    y = b.infer(pool);
    y = b.act(b.conv(y, 35, 3, 1, 1, 1, true, 0.03f), 0.03f, 1.2f);
    y = b.conv(y, 18, 1, 2, 0, 1, false, 0.04f);
    y = b.conv(y, 18, 3, 1, 1, 18, true, 0.02f);
    b.g->outputs.push_back(y);
    return std::move(b.g);
  };
  const std::vector<Tensor> in{random_s8(shape, 4)};
  const std::vector<Tensor> cpu = run(net(), "systolic-cpu", in, nullptr, 99);
  ASSERT_EQ(cpu.size(), 1u);
  EXPECT_TRUE(same_bytes(run(net(), "systolic-ws", in, nullptr, 0)[0], cpu[0]));
  Profiler prof;
  std::string placement;
  const std::vector<Tensor> ws = run(net(), "systolic-ws", in, &placement, 99, &prof);
  ASSERT_EQ(ws.size(), 1u);
  EXPECT_TRUE(same_bytes(ws[0], cpu[0]));
  EXPECT_EQ(placement, "systolic-ws: 11 nodes") << placement;
  int loops = 0, loop_phases = 0, im2col = 0, fused = 0;
  for (const Profiler::Event& e : prof.events()) {
    if (e.cat == "node" && e.args_json.find(R"("conv_loop": true)") != std::string::npos) ++loops;
    if (e.cat == "node" && e.args_json.find(R"("fused_into")") != std::string::npos) ++fused;
    if (e.cat == "phase" && e.name == "conv_loop") ++loop_phases;
    if (e.cat == "phase" && e.name == "im2col") ++im2col;
  }
  EXPECT_EQ(loops, 3);
  EXPECT_EQ(loop_phases, 3);
  EXPECT_EQ(fused, 1);         // the MaxPool, done by the stem's pooled mvout
  EXPECT_EQ(im2col, 2 * 18);   // the depthwise conv only: one matmul per (image, group)
}

TEST(SystolicBackend, RefusesWhatTheSystolicEpRefusedAndSaysWhy) {
  Builder b;
  Value* x = b.g->add_input("x", DType::kU8, {1, 3, 8, 8});
  std::vector<Value*> ins{x, b.c(scalar_f32(0.02f)), b.c(Tensor::from_vector<uint8_t>(DType::kU8, {}, {128})),
                          b.c(random_s8({4, 3, 3, 3}, 1)), b.c(scalar_f32(0.003f)), b.zp(), b.c(scalar_f32(0.1f)),
                          b.c(Tensor::from_vector<uint8_t>(DType::kU8, {}, {128}))};
  Node* n = b.node("QLinearConv", ins);
  n->attrs = {{"kernel_shape", Attr::of_ints({3, 3})}};
  b.infer(n);
  Status s = systolic::systolic_supports(*n);
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("not s8"), std::string::npos) << s.message();
  // s8 with a non-zero zero point: the message says to quantize with --target gemmini.
  Value* x8 = b.g->add_input("x8", DType::kI8, {1, 3, 8, 8});
  Node* m = b.node("QLinearConv", {x8, b.c(scalar_f32(0.02f)), b.c(Tensor::from_vector<int8_t>(DType::kI8, {}, {3})),
                                   b.c(random_s8({4, 3, 3, 3}, 1)), b.c(scalar_f32(0.003f)), b.zp(),
                                   b.c(scalar_f32(0.1f)), b.zp()});
  m->attrs = {{"kernel_shape", Attr::of_ints({3, 3})}};
  b.infer(m);
  s = systolic::systolic_supports(*m);
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("--target gemmini"), std::string::npos) << s.message();
  // Per-channel weight scales.
  Node* p = b.node("QLinearConv", {x8, b.c(scalar_f32(0.02f)), b.zp(), b.c(random_s8({4, 3, 3, 3}, 1)),
                                   b.c(Tensor::from_vector<float>(DType::kF32, {4}, {0.1f, 0.2f, 0.3f, 0.4f})), b.zp(),
                                   b.c(scalar_f32(0.1f)), b.zp()});
  p->attrs = {{"kernel_shape", Attr::of_ints({3, 3})}};
  b.infer(p);
  s = systolic::systolic_supports(*p);
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("per-tensor"), std::string::npos) << s.message();
  // A float op.
  Node* r = b.node("Relu", {b.g->add_input("f", DType::kF32, {4})});
  b.infer(r);
  EXPECT_FALSE(systolic::systolic_supports(*r).is_ok());
}

}  // namespace
}  // namespace inr
