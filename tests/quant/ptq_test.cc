// Cross-layer equalization, AdaRound and empirical bias correction (src/quant/ptq.h, issue #10) on small
// seeded graphs where the expected result is exact, plus CLE on the real MobileNetV2 (ReLU variant) where
// the equalized model must give the same logits up to float rounding.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "image/batch_loader.h"
#include "image/preprocess.h"
#include "inr/session.h"
#include "onnx/onnx_io.h"
#include "passes/passes.h"
#include "quant/ptq.h"
#include "test_util.h"

namespace inr::quant {
namespace {

Node* conv(Graph& g, const std::string& name, Value* x, Value* y, Tensor w, Tensor b, int64_t group, int64_t pad) {
  const std::vector<int64_t> kernel{w.dim(2), w.dim(3)};
  Node* n = g.add_node(name, "Conv", "", {x, g.add_constant(name + "_w", std::move(w)), g.add_constant(name + "_b", std::move(b))}, {y});
  n->attrs["group"] = Attr::of_int(group);
  n->attrs["pads"] = Attr::of_ints({pad, pad, pad, pad});
  n->attrs["kernel_shape"] = Attr::of_ints(kernel);
  return n;
}

// Output channel i of w scaled by 10^((i % 3) - 1): channel ranges two orders of magnitude apart.
Tensor uneven(Shape s, uint32_t seed) {
  Tensor t = test::random_f32(s, seed, -1.f, 1.f);
  int64_t per = t.numel() / s[0];
  for (int64_t o = 0; o < s[0]; ++o)
    for (int64_t i = 0; i < per; ++i) t.data<float>()[o * per + i] *= std::pow(10.f, static_cast<float>(o % 3) - 1.f);
  return t;
}

// x [2,3,8,8] -> conv a (3->8, 3x3) -> act -> dw (8, 3x3) -> Relu -> conv c (8->6, 1x1) -> conv d (6->5) -> y
std::unique_ptr<Graph> chain_graph(bool relu6_first) {
  auto g = std::make_unique<Graph>();
  g->opset = 13;
  Value* x = g->add_input("x", DType::kF32, {2, 3, 8, 8});
  Value* a = g->add_value("a");
  conv(*g, "a", x, a, uneven({8, 3, 3, 3}, 1), test::random_f32({8}, 2), 1, 1);
  Value* ar = g->add_value("ar");
  if (relu6_first) {
    g->add_node("a_clip", "Clip", "", {a, g->add_constant("lo", Tensor::from_vector<float>(DType::kF32, {}, {0.f})),
                                      g->add_constant("hi", Tensor::from_vector<float>(DType::kF32, {}, {6.f}))}, {ar});
  } else {
    g->add_node("a_relu", "Relu", "", {a}, {ar});
  }
  Value* b = g->add_value("b");
  conv(*g, "dw", ar, b, uneven({8, 1, 3, 3}, 3), test::random_f32({8}, 4), 8, 1);
  Value* br = g->add_value("br");
  g->add_node("dw_relu", "Relu", "", {b}, {br});
  Value* c = g->add_value("c");
  conv(*g, "c", br, c, uneven({6, 8, 1, 1}, 5), test::random_f32({6}, 6), 1, 0);
  Value* y = g->add_value("y");
  conv(*g, "d", c, y, uneven({5, 6, 1, 1}, 7), test::random_f32({5}, 8), 1, 0);
  g->outputs = {y};
  return g;
}

float max_abs(const Tensor& t) {
  float m = 0;
  for (float v : t.span<float>()) m = std::max(m, std::fabs(v));
  return m;
}

Tensor weight_of(const Graph& g, const std::string& node) {
  for (const auto& n : g.nodes())
    if (n->name == node) return n->input(1)->constant;
  return {};
}

// max |w| over output channel i (out) or input channel i.
std::vector<float> channel_ranges(const Tensor& w, bool out) {
  std::vector<float> r(static_cast<size_t>(out ? w.dim(0) : w.dim(1)), 0.f);
  int64_t co = w.dim(0), ci = w.dim(1), hw = w.dim(2) * w.dim(3);
  for (int64_t o = 0; o < co; ++o)
    for (int64_t i = 0; i < ci; ++i)
      for (int64_t k = 0; k < hw; ++k) {
        float& m = r[static_cast<size_t>(out ? o : i)];
        m = std::max(m, std::fabs(w.data<float>()[(o * ci + i) * hw + k]));
      }
  return r;
}

TEST(Cle, TripletAndPairKeepTheFunctionAndEqualizeChannelRanges) {
  auto g = chain_graph(false);
  Tensor x = test::random_f32({2, 3, 8, 8}, 9, -1.f, 1.f);
  std::vector<Tensor> before = test::run_graph(chain_graph(false), std::span<const Tensor>(&x, 1));
  CleReport rep;
  ASSERT_TRUE(equalize(*g, rep).is_ok());
  EXPECT_EQ(rep.triplets, 1);
  EXPECT_EQ(rep.pairs, 1);
  EXPECT_EQ(rep.relu6_replaced, 0);
  ASSERT_EQ(rep.sets.size(), 2u);
  EXPECT_EQ(rep.sets[0], "a -> dw -> c");
  EXPECT_EQ(rep.sets[1], "c -> d");
  // Triplet: the output ranges of a and dw and the input ranges of c are all cbrt(r1 r2 r3) per channel.
  std::vector<float> r1 = channel_ranges(weight_of(*g, "a"), true), r2 = channel_ranges(weight_of(*g, "dw"), true);
  // The pair c -> d rescaled c's output channels afterwards; c's input ranges are what the triplet set.
  std::vector<float> r3 = channel_ranges(weight_of(*g, "c"), false);
  for (size_t i = 0; i < r1.size(); ++i) {
    EXPECT_NEAR(r1[i], r2[i], 1e-5f * r1[i]) << "channel " << i;
    EXPECT_GT(r3[i], 0.f);
  }
  // Pair: c's output ranges equal d's input ranges.
  std::vector<float> c_out = channel_ranges(weight_of(*g, "c"), true), d_in = channel_ranges(weight_of(*g, "d"), false);
  for (size_t i = 0; i < c_out.size(); ++i) EXPECT_NEAR(c_out[i], d_in[i], 1e-5f * c_out[i]) << "channel " << i;
  // Before equalization a's channel ranges span two orders of magnitude; after, much less.
  std::vector<float> orig = channel_ranges(weight_of(*chain_graph(false), "a"), true);
  auto spread = [](const std::vector<float>& r) { return *std::max_element(r.begin(), r.end()) / *std::min_element(r.begin(), r.end()); };
  EXPECT_LT(spread(r1), spread(orig) / 3.f);
  std::vector<Tensor> after = test::run_graph(std::move(g), std::span<const Tensor>(&x, 1));
  ASSERT_EQ(after.size(), 1u);
  const float scale = max_abs(before[0]);
  for (int64_t i = 0; i < before[0].numel(); ++i)
    EXPECT_NEAR(after[0].data<float>()[i], before[0].data<float>()[i], 2e-6f * scale) << "element " << i;
}

TEST(Cle, Relu6BetweenConvsBecomesRelu) {
  auto g = chain_graph(true);
  CleReport rep;
  ASSERT_TRUE(equalize(*g, rep).is_ok());
  EXPECT_EQ(rep.relu6_replaced, 1);
  EXPECT_EQ(test::count_op(*g, Op::kClip), 0);
  EXPECT_EQ(test::count_op(*g, Op::kRelu), 2);
  EXPECT_EQ(rep.triplets, 1);
}

// A grouped (non-depthwise) conv ends a chain: nothing to scale.
TEST(Cle, GroupedConvIsNotScaled) {
  auto g = std::make_unique<Graph>();
  g->opset = 13;
  Value* x = g->add_input("x", DType::kF32, {1, 4, 4, 4});
  Value* a = g->add_value("a");
  conv(*g, "a", x, a, uneven({4, 2, 1, 1}, 1), test::random_f32({4}, 2), 2, 0);
  Value* y = g->add_value("y");
  conv(*g, "b", a, y, uneven({4, 4, 1, 1}, 3), test::random_f32({4}, 4), 1, 0);
  g->outputs = {y};
  CleReport rep;
  ASSERT_TRUE(equalize(*g, rep).is_ok());
  EXPECT_EQ(rep.pairs + rep.triplets, 0);
}

TEST(Cle, MobileNetV2WithReluGivesTheSameLogitsOnPhotos) {
  if (!test::has_data()) GTEST_SKIP() << "shared data not found";
  auto loaded = import_onnx_file(test::data_dir() + "/models/mobilenetv2-12-int8-dequant-fp32.onnx");
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
  Graph& g = **loaded;
  // The ReLU variant of the model: every Clip(0, 6) becomes Relu, so CLE cannot change the function.
  std::vector<Node*> clips;
  for (const auto& n : g.nodes())
    if (n->op_type == "Clip") clips.push_back(n.get());
  for (Node* c : clips) {
    Value* in = c->inputs[0];
    Value* out = c->outputs[0];
    std::string name = c->name;
    g.remove_node(c);
    g.add_node(name, "Relu", "", {in}, {out})->attrs["_opset"] = Attr::of_int(g.opset);
  }
  g.remove_dead();
  g.rebuild_uses();
  ASSERT_TRUE(g.topo_sort().is_ok());
  ASSERT_TRUE(canonicalize(g).is_ok());
  auto ref = g.clone();
  ASSERT_TRUE(ref.is_ok());
  CleReport rep;
  ASSERT_TRUE(equalize(g, rep).is_ok());
  EXPECT_EQ(rep.triplets, 17);
  EXPECT_EQ(rep.pairs, 2);
  EXPECT_EQ(rep.relu6_replaced, 0);

  auto spec = image::preset_spec("torchvision");
  ASSERT_TRUE(spec.is_ok());
  image::BatchLoader loader(*spec, {}, 2);
  std::vector<std::string> paths;
  for (const char* f : {"ILSVRC2012_val_00000347.JPEG", "ILSVRC2012_val_00000355.JPEG", "ILSVRC2012_val_00000361.JPEG"})
    paths.push_back(test::data_dir() + "/imagenet/val/" + f);
  std::vector<image::BatchFailure> failures;
  auto x = loader.load(paths, failures);
  ASSERT_TRUE(x.is_ok() && failures.empty());
  auto a = test::run_graph(std::make_unique<Graph>(std::move(*ref)), std::span<const Tensor>(&*x, 1), 99, "onednn");
  auto b = test::run_graph(std::make_unique<Graph>(std::move(g)), std::span<const Tensor>(&*x, 1), 99, "onednn");
  ASSERT_TRUE(a.size() == 1 && b.size() == 1);
  const float scale = max_abs(a[0]);
  float worst = 0;
  for (int64_t i = 0; i < a[0].numel(); ++i) worst = std::max(worst, std::fabs(a[0].data<float>()[i] - b[0].data<float>()[i]));
  // 53 layers of float32 accumulation, rescaled weights: relative error of a few 1e-6 of the logit scale.
  EXPECT_LT(worst, 2e-5f * scale) << "max |diff| " << worst << " of logits up to " << scale;
  for (int64_t r = 0; r < 3; ++r) {
    const float* pa = a[0].data<float>() + r * 1000;
    const float* pb = b[0].data<float>() + r * 1000;
    EXPECT_EQ(std::max_element(pa, pa + 1000) - pa, std::max_element(pb, pb + 1000) - pb) << "image " << r;
  }
}

// ---- AdaRound on one layer ----

struct OneLayer {
  std::unique_ptr<Graph> g;
  Layer layer;
  SampleSet x;
  std::vector<float> target;
};

// y = Relu(W x + b), W [16, 32], x >= 0 sampled rows.
OneLayer one_layer(uint32_t seed, int64_t rows) {
  OneLayer t;
  t.g = std::make_unique<Graph>();
  t.g->opset = 13;
  Value* x = t.g->add_input("x", DType::kF32, {1, 32, 1, 1});
  Value* y = t.g->add_value("y");
  conv(*t.g, "fc", x, y, test::random_f32({16, 32, 1, 1}, seed, -1.f, 1.f), test::random_f32({16}, seed + 1), 1, 0);
  Value* r = t.g->add_value("r");
  t.g->add_node("relu", "Relu", "", {y}, {r});
  t.g->outputs = {r};
  t.g->rebuild_uses();
  Node* n = t.g->nodes()[0].get();
  auto l = make_layer(n, *t.g);
  EXPECT_TRUE(l.is_ok());
  t.layer = *l;
  EXPECT_EQ(t.layer.act, Layer::Act::kRelu);
  t.x.rows = rows;
  t.x.width = 32;
  t.x.per_image = 8;
  std::mt19937 rng(seed + 2);
  std::uniform_real_distribution<float> u(0.f, 2.f);
  t.x.x.resize(static_cast<size_t>(rows * 32));
  for (float& v : t.x.x) v = u(rng);
  layer_forward(t.layer, t.layer.w, t.layer.bias, t.x, true, t.target);
  return t;
}

double mse(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
  return s / static_cast<double>(a.size());
}

TEST(AdaRound, FourBitRoundingBeatsNearestAndStaysOnTheGrid) {
  OneLayer t = one_layer(21, 2048);
  const WeightGrid grid = WeightGrid::of_bits(4);
  EXPECT_EQ(grid.qmin, -8) << "AIMET's non-strict symmetric 4-bit grid";
  EXPECT_EQ(grid.qmax, 7);
  EXPECT_EQ(WeightGrid::of_bits(8).qmin, -127) << "ORT's symmetric s8 grid";
  std::vector<float> scale = weight_scales(t.layer.w, 16, 32, true, grid);
  std::vector<float> rtn = fake_quant_rtn(t.layer.w, 16, 32, scale, grid);
  AdaRoundOptions o;
  o.iterations = 2000;
  int last = -1;
  AdaRoundResult res = adaround_layer(t.layer, scale, grid, t.x, t.target, t.x.rows, o, [&](int it) { last = it; });
  EXPECT_EQ(last, o.iterations);
  EXPECT_EQ(res.iteration, o.iterations) << "nothing held out: the final rounding";
  EXPECT_EQ(res.heldout_rows, 0);
  const std::vector<float>& ada = res.w;
  std::vector<float> y_rtn, y_ada;
  layer_forward(t.layer, rtn, t.layer.bias, t.x, true, y_rtn);
  layer_forward(t.layer, ada, t.layer.bias, t.x, true, y_ada);
  double e_rtn = mse(y_rtn, t.target), e_ada = mse(y_ada, t.target);
  EXPECT_LT(e_ada, 0.7 * e_rtn) << "AdaRound " << e_ada << " vs nearest " << e_rtn;
  int changed = 0;
  for (size_t j = 0; j < ada.size(); ++j) {
    float s = scale[j / 32];
    float q = ada[j] / s;
    EXPECT_NEAR(q, std::nearbyint(q), 1e-4f) << "weight " << j << " is on the grid";
    EXPECT_GE(std::nearbyint(q), -8.f);
    EXPECT_LE(std::nearbyint(q), 7.f);
    // Each weight is rounded up or down: never more than one step from the float value.
    EXPECT_LE(std::fabs(ada[j] - t.layer.w[j]), s * 1.0001f) << "weight " << j;
    changed += ada[j] != rtn[j];
  }
  EXPECT_GT(changed, 0);
}

// TF-enhanced weight ranges (AIMET's param encodings): per channel the least-noise scale of the 101 candidates,
// clipping noise weighted 3x; on Gaussian 4-bit weights with an outlier it clips, and its weight MSE beats
// max|w| / 7 while minmax keeps every weight in range.
TEST(WeightRange, TfEnhancedPicksTheLeastNoiseScalePerChannel) {
  const int64_t cout = 8, k = 288;
  std::mt19937 rng(7);
  std::normal_distribution<float> n(0.f, 0.05f);
  std::vector<float> w(static_cast<size_t>(cout * k));
  for (float& v : w) v = n(rng);
  for (int64_t o = 0; o < cout; ++o) w[static_cast<size_t>(o * k + o)] = 0.6f * static_cast<float>(o % 2 ? -1 : 1);  // outliers
  const WeightGrid grid = WeightGrid::of_bits(4);
  std::vector<float> mm = weight_scales(w, cout, k, true, grid, WeightRange::kMinMax);
  std::vector<float> tfe = weight_scales(w, cout, k, true, grid, WeightRange::kTfEnhanced);
  ASSERT_EQ(tfe.size(), static_cast<size_t>(cout));
  auto noise = [&](int64_t o, float s) {  // AIMET's criterion, written out
    double quant = 0, clip = 0;
    for (int64_t i = 0; i < k; ++i) {
      float x = w[static_cast<size_t>(o * k + i)], q = std::nearbyint(x / s);
      float e = std::clamp(q, -8.f, 7.f) * s - x;
      ((q < -8 || q > 7) ? clip : quant) += static_cast<double>(e) * e;
    }
    return quant + 3.0 * clip;
  };
  for (int64_t o = 0; o < cout; ++o) {
    EXPECT_FLOAT_EQ(mm[static_cast<size_t>(o)], 0.6f / 7);
    EXPECT_LT(tfe[static_cast<size_t>(o)], 0.95f * mm[static_cast<size_t>(o)]) << "the outlier is clipped, channel " << o;
    const double best = noise(o, tfe[static_cast<size_t>(o)]);
    for (int d = 1; d <= 101; ++d) EXPECT_LE(best, noise(o, mm[static_cast<size_t>(o)] * d / 101.f) * (1 + 1e-9)) << o << " " << d;
  }
  std::vector<float> q_mm = fake_quant_rtn(w, cout, k, mm, grid), q_tfe = fake_quant_rtn(w, cout, k, tfe, grid);
  for (int64_t o = 1; o < cout; o += 2)  // the clipped negative outlier takes the grid's -8 step
    EXPECT_FLOAT_EQ(q_tfe[static_cast<size_t>(o * k + o)], -8.f * tfe[static_cast<size_t>(o)]) << "channel " << o;
  EXPECT_GT(sqnr_db(w.data(), q_tfe.data(), w.size()), sqnr_db(w.data(), q_mm.data(), w.size()) + 0.5);
  // Per tensor: one scale from the whole tensor.
  EXPECT_EQ(weight_scales(w, cout, k, false, grid, WeightRange::kTfEnhanced).size(), 1u);
  // A zero channel keeps scale 1 (as minmax).
  std::vector<float> z(static_cast<size_t>(k), 0.f);
  EXPECT_EQ(weight_scales(z, 1, k, true, grid, WeightRange::kTfEnhanced)[0], 1.f);
}

TEST(AdaRound, SameSeedSameResult) {
  OneLayer t = one_layer(5, 512);
  const WeightGrid grid = WeightGrid::of_bits(8);
  std::vector<float> scale = weight_scales(t.layer.w, 16, 32, true, grid);
  AdaRoundOptions o;
  o.iterations = 200;
  EXPECT_EQ(adaround_layer(t.layer, scale, grid, t.x, t.target, t.x.rows, o, {}).w,
            adaround_layer(t.layer, scale, grid, t.x, t.target, t.x.rows, o, {}).w);
}

// Held-out selection: trained on 2 images (16 rows) of a 32-input layer, AdaRound overfits them; the rows of
// the other 62 images are scored every iterations / checks, and the kept rounding is the one with the least
// error there (never worse than nearest, which is iteration 0), here an earlier one than the last.
TEST(AdaRound, HeldOutRowsChooseTheRoundingWithTheLeastErrorOnThem) {
  OneLayer t = one_layer(11, 512);
  const WeightGrid grid = WeightGrid::of_bits(4);
  std::vector<float> scale = weight_scales(t.layer.w, 16, 32, true, grid);
  std::vector<float> rtn = fake_quant_rtn(t.layer.w, 16, 32, scale, grid);
  AdaRoundOptions o;
  o.iterations = 2000;
  o.batch = 2;
  o.checks = 20;
  const int64_t train = 16;
  AdaRoundResult res = adaround_layer(t.layer, scale, grid, t.x, t.target, train, o, {});
  EXPECT_EQ(res.heldout_rows, 512 - train);
  EXPECT_EQ(res.iteration % 100, 0) << "a checkpoint: every 2000 / 20 iterations";
  // The scores, recomputed here on the held-out rows.
  auto heldout_sse = [&](const std::vector<float>& w) {
    std::vector<float> y;
    layer_forward(t.layer, w, t.layer.bias, t.x, true, y);
    double s = 0;
    for (size_t i = static_cast<size_t>(train * 16); i < y.size(); ++i) s += (static_cast<double>(y[i]) - t.target[i]) * (y[i] - t.target[i]);
    return s;
  };
  EXPECT_NEAR(res.heldout_sse_nearest, heldout_sse(rtn), 1e-4 * heldout_sse(rtn)) << "iteration 0 is round-to-nearest";
  EXPECT_NEAR(res.heldout_sse_best, heldout_sse(res.w), 1e-4 * res.heldout_sse_best);
  EXPECT_LE(res.heldout_sse_best, res.heldout_sse_nearest);
  EXPECT_LE(res.heldout_sse_best, res.heldout_sse_last);
  // Without held-out rows the same 16 rows give the final rounding, which is worse on the other images.
  AdaRoundOptions p = o;
  p.checks = 0;
  SampleSet only_train = t.x;
  only_train.rows = train;
  only_train.x.resize(static_cast<size_t>(train * 32));
  AdaRoundResult last = adaround_layer(t.layer, scale, grid, only_train, t.target, train, p, {});
  EXPECT_EQ(last.iteration, o.iterations);
  EXPECT_NEAR(heldout_sse(last.w), res.heldout_sse_last, 1e-4 * res.heldout_sse_last) << "the same training, seen to its end";
  EXPECT_LT(res.heldout_sse_best, heldout_sse(last.w)) << "overfit: an earlier rounding wins on the held-out rows";
  EXPECT_LT(res.iteration, o.iterations);
}

// ---- The pipeline: bias correction removes the mean output error of 4-bit per-tensor weights ----
TEST(BiasCorrection, EmpiricalCorrectionZeroesTheMeanOutputError) {
  auto make = [] {
    auto g = std::make_unique<Graph>();
    g->opset = 13;
    Value* x = g->add_input("x", DType::kF32, {-1, 4, 6, 6});
    g->inputs[0]->shape = {-1, 4, 6, 6};
    Value* y = g->add_value("y");
    conv(*g, "c", x, y, uneven({3, 4, 3, 3}, 31), test::random_f32({3}, 32), 1, 0);
    g->outputs = {y};
    g->rebuild_uses();
    return g;
  };
  ImageBatches images;
  for (uint32_t b = 0; b < 4; ++b) images.batches.push_back(test::random_f32({8, 4, 6, 6}, 40 + b, 0.f, 1.f));
  images.images = 32;
  auto g = make();
  PtqOptions o;
  o.bias_correction = "empirical";
  o.weight_bits = 4;
  o.per_channel = false;  // per-tensor 4-bit: a large, systematic error on the small channels
  std::map<std::string, QParams> params;
  std::vector<LayerReport> report;
  std::vector<Node*> layers{g->nodes()[0].get()};
  ASSERT_TRUE(optimize_weights(*g, layers, images, o, {}, params, report).is_ok());
  ASSERT_EQ(report.size(), 1u);
  EXPECT_EQ(report[0].samples, 32 * 16) << "every output position of the 4x4 output";
  EXPECT_GT(report[0].bias_shift, 0.0);
  ASSERT_EQ(params.size(), 1u);
  EXPECT_EQ(params.begin()->second.scale.size(), 1u);
  // Mean (quantized - float) output per channel over the images: ~0 after correction.
  auto mean_error = [&](std::unique_ptr<Graph> q) {
    std::vector<double> e(3, 0.0);
    for (const Tensor& x : images.batches) {
      auto a = test::run_graph(make(), std::span<const Tensor>(&x, 1));
      auto b = test::run_graph(std::move(q), std::span<const Tensor>(&x, 1));
      for (int64_t i = 0; i < a[0].numel(); ++i) e[static_cast<size_t>((i / 16) % 3)] += b[0].data<float>()[i] - a[0].data<float>()[i];
      q = nullptr;
      break;  // one batch is enough for the float-vs-quantized difference of a fixed graph
    }
    return e;
  };
  // Without correction (nearest weights only) the mean error is far from 0 on some channel.
  auto g_rtn = make();
  PtqOptions none = o;
  none.bias_correction.clear();
  none.adaround = false;
  std::map<std::string, QParams> p2;
  std::vector<LayerReport> r2;
  std::vector<Node*> l2{g_rtn->nodes()[0].get()};
  // optimize_weights needs data only for AdaRound / bias correction: nearest rounding runs without.
  ASSERT_TRUE(optimize_weights(*g_rtn, l2, ImageBatches{}, none, {}, p2, r2).is_ok());
  std::vector<double> before = mean_error(std::move(g_rtn)), after = mean_error(std::move(g));
  double worst_before = 0, worst_after = 0;
  for (int c = 0; c < 3; ++c) {
    worst_before = std::max(worst_before, std::fabs(before[c]) / (8 * 16));
    worst_after = std::max(worst_after, std::fabs(after[c]) / (8 * 16));
  }
  EXPECT_GT(worst_before, 1e-2);
  // The correction is the mean over all 4 batches; on the first batch alone it leaves a small residual.
  EXPECT_LT(worst_after, worst_before / 5) << "before " << worst_before << " after " << worst_after;
}

// ---- BatchNorm statistics: analytical bias correction and high-bias absorption (DFQ sections 4.1, 4.2) ----

Value* cst(Graph& g, const std::string& name, std::vector<float> v) {
  const int64_t n = static_cast<int64_t>(v.size());
  return g.add_constant(name, Tensor::from_vector<float>(DType::kF32, {n}, v));
}

Node* node_named(const Graph& g, const std::string& name) {
  for (const auto& n : g.nodes())
    if (n->name == name) return n.get();
  return nullptr;
}

// E[clamp(z, lo, hi)], z ~ N(mu, sigma^2), against numpy: np.trapz(np.clip(z, lo, hi) * pdf(z), z) on
// 2,000,001 points over mu +- 12 sigma.
TEST(BnStats, ClippedNormalMeanMatchesNumpyIntegration) {
  const double inf = INFINITY;
  struct Case {
    double mu, sigma, lo, hi, numpy;
  } cases[] = {{0.5, 1.0, 0, inf, 0.6977965574027147},   {-1.0, 0.7, 0, inf, 0.02409477841487424},
               {2.0, 3.0, 0, 6, 2.3261735963566434},     {5.5, 1.2, 0, 6, 5.230304272314096},
               {0.3, 0.2, -inf, inf, 0.3},               {-0.4, 2.5, -1, 1, -0.12383640437106991}};
  for (const Case& c : cases)
    EXPECT_NEAR(clipped_normal_mean(c.mu, c.sigma, c.lo, c.hi), c.numpy, 1e-8) << c.mu << " " << c.sigma;
  EXPECT_EQ(clipped_normal_mean(-2.0, 0.0, 0, inf), 0.0);  // no spread: the clamp of the mean
  EXPECT_EQ(clipped_normal_mean(7.0, 0.0, 0, 6), 6.0);
}

// x -> conv a -> [Clip(0, 6)] -> conv b (group 2, 3x3), and a -> Relu -> GlobalAveragePool -> Flatten -> Gemm.
// The statistics of a are set by hand; E[x] and the shift (W_q - W) E[x] are checked against a direct 4-D loop.
TEST(BiasCorrection, AnalyticalShiftIsTheWeightErrorTimesTheClippedNormalMean) {
  auto g = std::make_unique<Graph>();
  g->opset = 13;
  Value* x = g->add_input("x", DType::kF32, {1, 3, 6, 6});
  Value* a = g->add_value("a");
  conv(*g, "a", x, a, test::random_f32({8, 3, 3, 3}, 61), test::random_f32({8}, 62), 1, 1);
  Value* ac = g->add_value("ac");
  g->add_node("clip", "Clip", "", {a, g->add_constant("lo", Tensor::from_vector<float>(DType::kF32, {}, {0.f})),
                                   g->add_constant("hi", Tensor::from_vector<float>(DType::kF32, {}, {6.f}))}, {ac});
  Value* y = g->add_value("y");
  conv(*g, "b", ac, y, uneven({6, 4, 3, 3}, 63), test::random_f32({6}, 64), 2, 0);
  Value* ar = g->add_value("ar");
  g->add_node("relu", "Relu", "", {a}, {ar});
  Value* gp = g->add_value("gp");
  g->add_node("gap", "GlobalAveragePool", "", {ar}, {gp});
  Value* fl = g->add_value("fl");
  g->add_node("flat", "Flatten", "", {gp}, {fl});
  Value* z = g->add_value("z");
  Node* fc = g->add_node("fc", "Gemm", "", {fl, g->add_constant("fc_w", test::random_f32({5, 8}, 65)), cst(*g, "fc_b", {0, 0, 0, 0, 0})}, {z});
  fc->attrs["transB"] = Attr::of_int(1);
  g->outputs = {y, z};
  g->rebuild_uses();
  BnStatsMap bn;
  std::vector<float> beta{-1.f, 0.f, 0.5f, 2.f, 5.f, 7.f, -0.2f, 1.f}, gamma{1.f, 0.5f, 2.f, 0.3f, 1.f, 2.f, 0.1f, 3.f};
  bn["a"] = {beta, gamma};
  const WeightGrid grid = WeightGrid::of_bits(4);
  // Conv b after Clip(0, 6).
  auto lb = make_layer(node_named(*g, "b"), *g);
  ASSERT_TRUE(lb.is_ok());
  std::string why;
  std::vector<double> ex = expected_input(*lb, bn, why);
  ASSERT_EQ(ex.size(), 8u) << why;
  for (size_t c = 0; c < 8; ++c) EXPECT_DOUBLE_EQ(ex[c], clipped_normal_mean(beta[c], gamma[c], 0, 6));
  std::vector<float> wq = fake_quant_rtn(lb->w, 6, lb->k, weight_scales(lb->w, 6, lb->k, false, grid), grid);
  std::vector<double> shift = analytical_bias_shift(*lb, wq, ex);
  ASSERT_EQ(shift.size(), 6u);
  double largest = 0;
  for (int64_t o = 0; o < 6; ++o) {
    const int64_t group = o / 3;  // 6 outputs, 2 groups: outputs 0-2 read channels 0-3, outputs 3-5 channels 4-7
    double ref = 0;
    for (int64_t i = 0; i < 4; ++i)
      for (int64_t kh = 0; kh < 3; ++kh)
        for (int64_t kw = 0; kw < 3; ++kw) {
          size_t idx = static_cast<size_t>(((o * 4 + i) * 3 + kh) * 3 + kw);
          ref += (static_cast<double>(wq[idx]) - lb->w[idx]) * ex[static_cast<size_t>(group * 4 + i)];
        }
    EXPECT_NEAR(shift[static_cast<size_t>(o)], ref, 1e-12 + 1e-9 * std::fabs(ref)) << "channel " << o;
    largest = std::max(largest, std::fabs(ref));
  }
  EXPECT_GT(largest, 1e-3) << "per-tensor 4-bit weights leave a visible systematic error";
  // Gemm after Relu -> GlobalAveragePool -> Flatten: the Relu mean per channel.
  auto lf = make_layer(fc, *g);
  ASSERT_TRUE(lf.is_ok());
  ex = expected_input(*lf, bn, why);
  ASSERT_EQ(ex.size(), 8u) << why;
  for (size_t c = 0; c < 8; ++c) EXPECT_DOUBLE_EQ(ex[c], clipped_normal_mean(beta[c], gamma[c], 0, INFINITY));
  // Without statistics for a: nothing, and a reason.
  bn.clear();
  why.clear();
  EXPECT_TRUE(expected_input(*lb, bn, why).empty());
  EXPECT_NE(why.find("no BatchNorm statistics"), std::string::npos) << why;
}

// x -> conv a (pad 0) -> BatchNormalization -> Relu -> conv b -> y, with x uniform in [-1, 1] and the BN's
// running mean / variance the true mean / variance of a's output (b_a, sum w^2 / 3), so a's normalised
// output is close to N(0, 1) and the Relu output mean is what DFQ assumes.
std::unique_ptr<Graph> bn_graph(int64_t b_pad) {
  auto g = std::make_unique<Graph>();
  g->opset = 13;
  Value* x = g->add_input("x", DType::kF32, {-1, 3, 6, 6});
  Tensor wa = test::random_f32({8, 3, 3, 3}, 71);
  Tensor ba = test::random_f32({8}, 72);
  std::vector<float> mean(8), var(8), gamma(8), beta(8);
  for (int64_t c = 0; c < 8; ++c) {
    double s = 0;
    for (int64_t k = 0; k < 27; ++k) s += wa.data<float>()[c * 27 + k] * wa.data<float>()[c * 27 + k];
    mean[static_cast<size_t>(c)] = ba.data<float>()[c];
    var[static_cast<size_t>(c)] = static_cast<float>(s / 3.0 - 1e-5);
    gamma[static_cast<size_t>(c)] = 0.5f + 0.15f * static_cast<float>(c);
    beta[static_cast<size_t>(c)] = -0.6f + 0.25f * static_cast<float>(c);
  }
  Value* a = g->add_value("a");
  conv(*g, "a", x, a, std::move(wa), std::move(ba), 1, 0);
  Value* an = g->add_value("an");
  g->add_node("bn", "BatchNormalization", "", {a, cst(*g, "g", gamma), cst(*g, "be", beta), cst(*g, "m", mean), cst(*g, "v", var)}, {an});
  Value* ar = g->add_value("ar");
  g->add_node("relu", "Relu", "", {an}, {ar});
  Value* y = g->add_value("y");
  conv(*g, "b", ar, y, uneven({5, 8, 3, 3}, 73), test::random_f32({5}, 74), 1, b_pad);
  g->outputs = {y};
  g->rebuild_uses();
  return g;
}

// Mean (quantized - float) output per channel over the batches, worst channel.
double worst_mean_error(std::unique_ptr<Graph> q, const ImageBatches& images, std::unique_ptr<Graph> (*make)(int64_t)) {
  std::vector<double> e(5, 0.0);
  double n = 0;
  std::vector<Tensor> qa, fa;
  for (const Tensor& x : images.batches) {
    auto f = test::run_graph(make(0), std::span<const Tensor>(&x, 1));
    auto qg = q->clone();
    auto o = test::run_graph(std::make_unique<Graph>(std::move(*qg)), std::span<const Tensor>(&x, 1));
    const int64_t hw = f[0].numel() / (f[0].dim(0) * 5);
    for (int64_t i = 0; i < f[0].numel(); ++i) e[static_cast<size_t>((i / hw) % 5)] += o[0].data<float>()[i] - f[0].data<float>()[i];
    n += static_cast<double>(f[0].numel() / 5);
  }
  double worst = 0;
  for (double v : e) worst = std::max(worst, std::fabs(v) / n);
  return worst;
}

TEST(BiasCorrection, AnalyticalMovesTheQuantizedOutputMeanToTheFloatOne) {
  ImageBatches images;
  for (uint32_t b = 0; b < 8; ++b) images.batches.push_back(test::random_f32({16, 3, 6, 6}, 80 + b, -1.f, 1.f));
  images.images = 128;
  auto run = [&](const std::string& bc, std::vector<LayerReport>& report) {
    auto g = bn_graph(0);
    BnStatsMap bn = collect_bn_stats(*g);
    EXPECT_EQ(bn.size(), 1u);
    EXPECT_TRUE(canonicalize(*g).is_ok());
    g->rebuild_uses();
    EXPECT_EQ(test::count_op(*g, Op::kBatchNormalization), 0);
    PtqOptions o;
    o.bias_correction = bc;
    o.weight_bits = 4;
    o.per_channel = false;  // per-tensor 4-bit: a large, systematic error on the small channels
    std::map<std::string, QParams> params;
    std::vector<Node*> layers{node_named(*g, "b")};
    EXPECT_TRUE(optimize_weights(*g, layers, images, o, {}, params, report, bn).is_ok());
    return g;
  };
  std::vector<LayerReport> r_none, r_ana;
  auto g_none = run("", r_none);
  auto g_ana = run("analytical", r_ana);
  ASSERT_EQ(r_ana.size(), 1u);
  EXPECT_EQ(r_ana[0].bias_method, "analytical") << r_ana[0].bias_note;
  EXPECT_GT(r_ana[0].bias_shift, 0.0);
  const double before = worst_mean_error(std::move(g_none), images, bn_graph);
  const double after = worst_mean_error(std::move(g_ana), images, bn_graph);
  EXPECT_GT(before, 2e-2);
  // Data-free: E[x] comes from BN's beta / gamma, not from these images; the Gaussian assumption holds
  // only roughly for a sum of 27 uniforms, so the residual is small but not 0.
  EXPECT_LT(after, before / 4) << "before " << before << " after " << after;
}

// The first conv reads the graph input (no statistics): it falls back to empirical and says why.
TEST(BiasCorrection, AnalyticalFallsBackToEmpiricalWithoutStatistics) {
  ImageBatches images;
  images.batches.push_back(test::random_f32({8, 3, 6, 6}, 90, -1.f, 1.f));
  images.images = 8;
  auto g = bn_graph(0);
  BnStatsMap bn = collect_bn_stats(*g);
  ASSERT_TRUE(canonicalize(*g).is_ok());
  g->rebuild_uses();
  PtqOptions o;
  o.bias_correction = "analytical";
  o.weight_bits = 4;
  std::map<std::string, QParams> params;
  std::vector<LayerReport> report;
  std::vector<Node*> layers{node_named(*g, "a"), node_named(*g, "b")};
  ASSERT_TRUE(optimize_weights(*g, layers, images, o, {}, params, report, bn).is_ok());
  ASSERT_EQ(report.size(), 2u);
  EXPECT_EQ(report[0].bias_method, "empirical");
  EXPECT_NE(report[0].bias_note.find("not a Conv"), std::string::npos) << report[0].bias_note;
  EXPECT_EQ(report[1].bias_method, "analytical");
}

// High-bias absorption keeps the function where a's pre-activation stays above c = beta - 3 gamma: here
// BN's variance is so large that the normalised output stays within +-1, i.e. within beta +- gamma.
std::unique_ptr<Graph> hba_graph(int64_t b_pad) {
  auto g = std::make_unique<Graph>();
  g->opset = 13;
  Value* x = g->add_input("x", DType::kF32, {2, 3, 6, 6});
  Value* a = g->add_value("a");
  conv(*g, "a", x, a, uneven({8, 3, 3, 3}, 101), test::random_f32({8}, 102), 1, 1);
  std::vector<float> gamma(8), beta(8), mean(8, 0.f), var(8, 4000.f);  // |a| <= 28: |a / sqrt(var)| < 1
  for (int64_t c = 0; c < 8; ++c) {
    gamma[static_cast<size_t>(c)] = (c % 2 ? -1.f : 1.f) * (0.2f + 0.1f * static_cast<float>(c));
    beta[static_cast<size_t>(c)] = c < 2 ? -0.5f : 1.f + 0.5f * static_cast<float>(c);  // channels 0, 1: no absorption
  }
  Value* an = g->add_value("an");
  g->add_node("bn", "BatchNormalization", "", {a, cst(*g, "g", gamma), cst(*g, "be", beta), cst(*g, "m", mean), cst(*g, "v", var)}, {an});
  Value* ar = g->add_value("ar");
  g->add_node("relu", "Relu", "", {an}, {ar});
  Value* y = g->add_value("y");
  conv(*g, "b", ar, y, uneven({5, 8, b_pad ? 3 : 1, b_pad ? 3 : 1}, 103), test::random_f32({5}, 104), 1, b_pad);
  g->outputs = {y};
  g->rebuild_uses();
  return g;
}

float bias_range(const Graph& g, const std::string& node) { return max_abs(node_named(g, node)->input(2)->constant); }

TEST(Cle, HighBiasAbsorptionKeepsTheFunctionAndShrinksTheBias) {
  Tensor x = test::random_f32({2, 3, 6, 6}, 105, -1.f, 1.f);
  std::vector<Tensor> ref = test::run_graph(hba_graph(0), std::span<const Tensor>(&x, 1));
  auto equalized = [](int64_t pad, bool with_bn, CleReport& rep) {
    auto g = hba_graph(pad);
    BnStatsMap bn = collect_bn_stats(*g);
    EXPECT_TRUE(canonicalize(*g).is_ok());
    EXPECT_TRUE(equalize(*g, rep, with_bn ? &bn : nullptr).is_ok());
    return g;
  };
  CleReport plain, hba;
  auto g_plain = equalized(0, false, plain);
  auto g = equalized(0, true, hba);
  EXPECT_EQ(plain.hba_pairs, 0);
  EXPECT_FALSE(plain.bn_stats);
  EXPECT_TRUE(hba.bn_stats);
  EXPECT_EQ(hba.pairs, 1);
  EXPECT_EQ(hba.hba_pairs, 1);
  EXPECT_EQ(hba.hba_channels, 6);
  // a's bias range shrinks: the absorbed channels' biases moved into b, by c = beta' - 3 gamma' > 0 each.
  EXPECT_LT(bias_range(*g, "a"), bias_range(*g_plain, "a"));
  const Tensor& b_hba = node_named(*g, "a")->input(2)->constant;
  const Tensor& b_plain = node_named(*g_plain, "a")->input(2)->constant;
  for (int64_t c = 0; c < 8; ++c) {
    if (c < 2) EXPECT_EQ(b_hba.data<float>()[c], b_plain.data<float>()[c]) << "channel " << c << ": beta < 3 gamma";
    else EXPECT_LT(b_hba.data<float>()[c], b_plain.data<float>()[c]) << "channel " << c;
  }
  std::vector<Tensor> out = test::run_graph(std::move(g), std::span<const Tensor>(&x, 1));
  const float scale = max_abs(ref[0]);
  for (int64_t i = 0; i < ref[0].numel(); ++i)
    EXPECT_NEAR(out[0].data<float>()[i], ref[0].data<float>()[i], 2e-6f * scale) << "element " << i;
  // A padded b would miss the shift at its borders: no absorption.
  CleReport padded;
  equalized(1, true, padded);
  EXPECT_EQ(padded.pairs, 1);
  EXPECT_EQ(padded.hba_pairs, 0);
}

}  // namespace
}  // namespace inr::quant
