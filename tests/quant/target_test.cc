// --target portable|vnni|avx2 (src/quant/target.cc, issue #9): the types each target implies, the one-line
// errors for contradicting flags, and the weights each target writes in static and dynamic mode:
//   vnni      s8 weights, full range (max |w| = 127 per channel), counted in QuantReport::full_range_u8s8;
//   avx2      s8 weights, 7-bit (|w| <= 64: vpmaddubsw's int16 pair sums cannot saturate);
//   portable  u8 weights with zero point 128 on every channel, equal to the vnni weights + 128, so an exact
//             engine gives bit-identical outputs for the two.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>

#include "quant/quantize.h"
#include "test_util.h"

namespace inr::quant {
namespace {

// --- types and conflicts ---------------------------------------------------------------------------------

QuantOptions static_options() {
  QuantOptions o;
  o.mode = Mode::kStatic;
  o.per_channel = true;
  return o;
}

TEST(Target, ParseAndNames) {
  for (Target t : {Target::kNone, Target::kPortable, Target::kVnni, Target::kAvx2}) {
    auto p = parse_target(target_name(t));
    ASSERT_TRUE(p.is_ok()) << target_name(t);
    EXPECT_EQ(*p, t);
  }
  EXPECT_FALSE(parse_target("arm").is_ok());
}

TEST(Target, EachTargetSetsItsTypes) {
  struct Want {
    Target t;
    DType weight;
    bool reduce, zp128;
  };
  for (Want w : {Want{Target::kVnni, DType::kI8, false, false}, Want{Target::kAvx2, DType::kI8, true, false},
                 Want{Target::kPortable, DType::kU8, false, true}}) {
    QuantOptions o = static_options();
    o.act = DType::kI8;  // overridden: every target has u8 activations
    ASSERT_TRUE(apply_target(w.t, {}, o).is_ok()) << target_name(w.t);
    EXPECT_EQ(o.target, w.t);
    EXPECT_EQ(o.act, DType::kU8) << target_name(w.t);
    EXPECT_EQ(o.weight, w.weight) << target_name(w.t);
    EXPECT_EQ(o.reduce_range, w.reduce) << target_name(w.t);
    EXPECT_EQ(o.weight_zp128, w.zp128) << target_name(w.t);
    EXPECT_FALSE(o.symmetric_act);
  }
  // Flags that agree with the target are accepted.
  QuantOptions o = static_options();
  EXPECT_TRUE(apply_target(Target::kAvx2, {DType::kU8, DType::kI8, true, false}, o).is_ok());
  EXPECT_TRUE(apply_target(Target::kVnni, {DType::kU8, DType::kI8, false, false}, o).is_ok());
  EXPECT_TRUE(apply_target(Target::kPortable, {DType::kU8, DType::kU8, false, false}, o).is_ok());
  o.mode = Mode::kDynamic;
  EXPECT_TRUE(apply_target(Target::kAvx2, {}, o).is_ok());
}

TEST(Target, NoTargetKeepsTheFlagsAsGiven) {
  QuantOptions o = static_options();
  ASSERT_TRUE(apply_target(Target::kNone, {std::nullopt, DType::kU8, true, false}, o).is_ok());
  EXPECT_EQ(o.weight, DType::kU8);
  EXPECT_TRUE(o.reduce_range);
  EXPECT_FALSE(o.weight_zp128) << "--weight u8 alone stays asymmetric, as before --target existed";
  QuantOptions d = static_options();
  ASSERT_TRUE(apply_target(Target::kNone, {}, d).is_ok());
  EXPECT_EQ(d.act, DType::kU8);
  EXPECT_EQ(d.weight, DType::kI8);
  EXPECT_FALSE(d.reduce_range);
}

TEST(Target, ContradictingFlagsAreOneLineErrors) {
  struct Bad {
    Target t;
    TypeFlags given;
    Mode mode;
    std::string needle;
  };
  const std::vector<Bad> cases = {
      {Target::kAvx2, {std::nullopt, DType::kU8, false, false}, Mode::kStatic,
       "--target avx2 implies --weight s8 --reduce-range; drop --weight u8"},
      {Target::kVnni, {std::nullopt, DType::kU8, false, false}, Mode::kStatic, "drop --weight u8"},
      {Target::kVnni, {std::nullopt, std::nullopt, true, false}, Mode::kStatic, "--target vnni implies"},
      {Target::kPortable, {std::nullopt, DType::kI8, false, false}, Mode::kStatic, "drop --weight s8"},
      {Target::kPortable, {std::nullopt, std::nullopt, true, false}, Mode::kDynamic, "drop --reduce-range"},
      {Target::kAvx2, {DType::kI8, std::nullopt, false, false}, Mode::kStatic, "implies --act u8; drop --act s8"},
      {Target::kVnni, {std::nullopt, std::nullopt, false, true}, Mode::kStatic, "drop --symmetric-act"},
      {Target::kPortable, {}, Mode::kFp16, "not --mode fp16"},
  };
  for (const Bad& b : cases) {
    QuantOptions o = static_options();
    o.mode = b.mode;
    Status s = apply_target(b.t, b.given, o);
    ASSERT_FALSE(s.is_ok()) << b.needle;
    EXPECT_NE(s.message().find(b.needle), std::string::npos) << s.message();
    EXPECT_EQ(s.message().find('\n'), std::string::npos) << s.message();
  }
}

// --- weights written -------------------------------------------------------------------------------------

// x [1,3,16,16] -> Conv(8x3x3x3, pads 1) -> Relu -> GlobalAveragePool -> Flatten -> MatMul([8, 10]) -> y
std::unique_ptr<Graph> small_cnn() {
  auto g = std::make_unique<Graph>();
  g->opset = 13;
  Value* x = g->add_input("x", DType::kF32, {1, 3, 16, 16});
  Value* c = g->add_value("c");
  Node* conv = g->add_node("conv", "Conv", "",
                           {x, g->add_constant("W", test::random_f32({8, 3, 3, 3}, 21, -0.6f, 0.4f)),
                            g->add_constant("B", test::random_f32({8}, 22, -0.1f, 0.1f))},
                           {c});
  conv->attrs["pads"] = Attr::of_ints({1, 1, 1, 1});
  Value* r = g->add_value("r");
  g->add_node("relu", "Relu", "", {c}, {r});
  Value* p = g->add_value("p");
  g->add_node("gap", "GlobalAveragePool", "", {r}, {p});
  Value* f = g->add_value("f");
  g->add_node("flatten", "Flatten", "", {p}, {f});
  Value* y = g->add_value("y");
  g->add_node("fc", "MatMul", "", {f, g->add_constant("W2", test::random_f32({8, 10}, 23, -1.f, 0.5f))}, {y});
  g->outputs = {y};
  return g;
}

CalibData small_calib() {
  CalibData d;
  for (const char* f : {"dog_224.jpg", "cat_224.jpg", "grace_hopper.jpg"})
    d.paths.push_back(test::data_dir() + "/images/" + f);
  auto spec = image::preset_spec("torchvision");
  EXPECT_TRUE(spec.is_ok());
  d.spec = *spec;
  d.spec.resize_shorter = 16;
  d.spec.crop_width = d.spec.crop_height = 16;
  d.batch = 1;
  return d;
}

struct QWeight {
  Tensor q;
  std::vector<int32_t> zp;
};

// Quantized weight initializers (rank >= 2) by name, with their zero points, from DequantizeLinear (QDQ) or
// ConvInteger / MatMulInteger (dynamic) nodes.
std::map<std::string, QWeight> quantized_weights(const Graph& g) {
  std::map<std::string, QWeight> out;
  auto zps = [](const Value* z, std::vector<int32_t>& v) {
    if (!z || !z->is_constant()) return;
    const Tensor& t = z->constant;
    for (int64_t i = 0; i < t.numel(); ++i)
      v.push_back(t.dtype() == DType::kU8 ? t.data<uint8_t>()[i] : t.data<int8_t>()[i]);
  };
  for (const auto& n : g.nodes()) {
    size_t wi = 0, zi = 2;
    if (n->op_type == "ConvInteger" || n->op_type == "MatMulInteger") {
      wi = 1;
      zi = 3;
    } else if (n->op_type != "DequantizeLinear") {
      continue;
    }
    const Value* w = n->input(wi);
    if (!w || !w->is_constant() || w->constant.rank() < 2) continue;
    if (w->constant.dtype() != DType::kU8 && w->constant.dtype() != DType::kI8) continue;
    QWeight q{w->constant, {}};
    zps(n->input(zi), q.zp);
    out[w->name] = q;
  }
  return out;
}

// Largest |q - zp| over the tensor (zp per tensor, or per channel along axis 0 / the last axis).
int max_abs_centered(const QWeight& w, int64_t axis) {
  int m = 0;
  const Tensor& t = w.q;
  int64_t channels = w.zp.size() > 1 ? t.dim(axis) : 1, inner = 1;
  for (int64_t i = axis + 1; i < t.rank(); ++i) inner *= t.dim(i);
  for (int64_t i = 0; i < t.numel(); ++i) {
    int v = t.dtype() == DType::kU8 ? t.data<uint8_t>()[i] : t.data<int8_t>()[i];
    size_t c = channels > 1 ? static_cast<size_t>((i / inner) % channels) : 0;
    m = std::max(m, std::abs(v - (w.zp.empty() ? 0 : w.zp[c])));
  }
  return m;
}

struct Quantized {
  std::unique_ptr<Graph> graph;
  QuantReport report;
};

Quantized quantize_for(Target t, Mode mode) {
  QuantOptions o = static_options();
  o.mode = mode;
  EXPECT_TRUE(apply_target(t, {}, o).is_ok());
  Quantized r;
  auto g = small_cnn();
  auto q = mode == Mode::kStatic ? quantize_static(*g, o, small_calib(), r.report) : quantize_dynamic(*g, o, r.report);
  EXPECT_TRUE(q.is_ok()) << target_name(t) << ": " << q.status().message();
  if (q.is_ok()) r.graph = std::move(*q);
  return r;
}

class TargetWeights : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::has_data()) GTEST_SKIP() << "shared data not found (set INR_DATA_DIR)";
  }
};

TEST_F(TargetWeights, StaticWeightsPerTarget) {
  Quantized none = quantize_for(Target::kNone, Mode::kStatic), vnni = quantize_for(Target::kVnni, Mode::kStatic),
            avx2 = quantize_for(Target::kAvx2, Mode::kStatic), port = quantize_for(Target::kPortable, Mode::kStatic);
  ASSERT_TRUE(none.graph && vnni.graph && avx2.graph && port.graph);
  auto wn = quantized_weights(*none.graph), wv = quantized_weights(*vnni.graph), wa = quantized_weights(*avx2.graph),
       wp = quantized_weights(*port.graph);
  ASSERT_EQ(wv.size(), 2u) << "Conv W and MatMul W2";
  ASSERT_EQ(wa.size(), 2u);
  ASSERT_EQ(wp.size(), 2u);
  for (const auto& [name, v] : wv) {
    int64_t axis = name.rfind("W2", 0) == 0 ? 1 : 0;  // MatMul [K, N]: per column
    SCOPED_TRACE(name);
    // No target = vnni (today's default: s8 full range).
    ASSERT_TRUE(wn.count(name));
    EXPECT_EQ(wn.at(name).q.bytes(), v.q.bytes());
    EXPECT_EQ(std::memcmp(wn.at(name).q.raw(), v.q.raw(), v.q.bytes()), 0);
    // vnni: s8, full range, zero point 0.
    EXPECT_EQ(v.q.dtype(), DType::kI8);
    EXPECT_EQ(max_abs_centered(v, axis), 127);
    // avx2: s8, 7-bit.
    const QWeight& a = wa.at(name);
    EXPECT_EQ(a.q.dtype(), DType::kI8);
    EXPECT_EQ(max_abs_centered(a, axis), 64) << "reduce-range weights reach 64 and never exceed it";
    // portable: u8, zero point 128 on every channel, values in [0, 255], = vnni + 128.
    const QWeight& p = wp.at(name);
    EXPECT_EQ(p.q.dtype(), DType::kU8);
    ASSERT_FALSE(p.zp.empty());
    EXPECT_TRUE(std::all_of(p.zp.begin(), p.zp.end(), [](int32_t z) { return z == 128; }));
    EXPECT_EQ(p.zp.size(), v.zp.size()) << "per-channel zero points";
    ASSERT_EQ(p.q.numel(), v.q.numel());
    for (int64_t i = 0; i < p.q.numel(); ++i)
      ASSERT_EQ(static_cast<int>(p.q.data<uint8_t>()[i]), v.q.data<int8_t>()[i] + 128) << "element " << i;
  }
  // Only the full-range u8 x s8 models are reported as such (the CLI's note).
  EXPECT_EQ(none.report.full_range_u8s8, 2);
  EXPECT_EQ(vnni.report.full_range_u8s8, 2);
  EXPECT_EQ(avx2.report.full_range_u8s8, 0);
  EXPECT_EQ(port.report.full_range_u8s8, 0);
}

TEST_F(TargetWeights, PortableComputesExactlyWhatVnniComputes) {
  Tensor x = test::random_f32({1, 3, 16, 16}, 31, -2.f, 2.f);
  std::vector<Tensor> yv = test::run_graph(quantize_for(Target::kVnni, Mode::kStatic).graph, std::span<const Tensor>(&x, 1));
  std::vector<Tensor> yp =
      test::run_graph(quantize_for(Target::kPortable, Mode::kStatic).graph, std::span<const Tensor>(&x, 1));
  ASSERT_TRUE(yv.size() == 1 && yp.size() == 1);
  ASSERT_EQ(yv[0].numel(), yp[0].numel());
  for (int64_t i = 0; i < yv[0].numel(); ++i) EXPECT_EQ(yv[0].data<float>()[i], yp[0].data<float>()[i]) << i;
}

TEST(TargetDynamic, WeightsPerTarget) {
  Quantized vnni = quantize_for(Target::kVnni, Mode::kDynamic), avx2 = quantize_for(Target::kAvx2, Mode::kDynamic),
            port = quantize_for(Target::kPortable, Mode::kDynamic);
  ASSERT_TRUE(vnni.graph && avx2.graph && port.graph);
  auto wv = quantized_weights(*vnni.graph), wa = quantized_weights(*avx2.graph), wp = quantized_weights(*port.graph);
  ASSERT_EQ(wv.size(), 2u);
  // MatMul weights follow the target; ConvInteger's are u8 with zero point 128 and stay 8-bit under every
  // target (u8 x u8 is exact on every CPU).
  auto w2 = [](const std::map<std::string, QWeight>& m) -> const QWeight& {
    for (const auto& [k, v] : m)
      if (k.rfind("W2", 0) == 0) return v;
    ADD_FAILURE() << "no MatMul weight";
    return m.begin()->second;
  };
  auto w1 = [](const std::map<std::string, QWeight>& m) -> const QWeight& {
    for (const auto& [k, v] : m)
      if (k.rfind("W2", 0) != 0) return v;
    ADD_FAILURE() << "no Conv weight";
    return m.begin()->second;
  };
  EXPECT_EQ(w2(wv).q.dtype(), DType::kI8);
  EXPECT_EQ(max_abs_centered(w2(wv), 1), 127);
  EXPECT_EQ(w2(wa).q.dtype(), DType::kI8);
  EXPECT_EQ(max_abs_centered(w2(wa), 1), 64);
  const QWeight& p = w2(wp);
  EXPECT_EQ(p.q.dtype(), DType::kU8);
  EXPECT_TRUE(!p.zp.empty() && std::all_of(p.zp.begin(), p.zp.end(), [](int32_t z) { return z == 128; }));
  for (int64_t i = 0; i < p.q.numel(); ++i)
    ASSERT_EQ(static_cast<int>(p.q.data<uint8_t>()[i]), w2(wv).q.data<int8_t>()[i] + 128) << i;
  for (const auto* m : {&wv, &wa, &wp}) {
    const QWeight& c = w1(*m);
    EXPECT_EQ(c.q.dtype(), DType::kU8);
    EXPECT_TRUE(!c.zp.empty() && std::all_of(c.zp.begin(), c.zp.end(), [](int32_t z) { return z == 128; }));
    EXPECT_GE(max_abs_centered(c, 0), 127) << "8-bit";
  }
  EXPECT_EQ(vnni.report.full_range_u8s8, 1) << "the MatMul";
  EXPECT_EQ(avx2.report.full_range_u8s8, 0);
  EXPECT_EQ(port.report.full_range_u8s8, 0);
}

}  // namespace
}  // namespace inr::quant
