// Property tests of the observers and calibrators (seeded data, odd sizes).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "quant/calibrator.h"
#include "quant/observer.h"
#include "quant/quant_util.h"

namespace inr::quant {
namespace {

std::vector<float> gaussian(size_t n, uint32_t seed, float mean, float stddev) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(mean, stddev);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

// Gaussian with a few large outliers: the case clipping calibrators exist for.
std::vector<float> with_outliers(size_t n, uint32_t seed) {
  auto v = gaussian(n, seed, 0.3f, 1.f);
  for (size_t i = 0; i < n; i += 997) v[i] = 40.f * (i % 2 ? 1.f : -0.5f);
  return v;
}

// Laplace (double exponential): a heavy tail with no isolated outliers, where clipping pays under L2.
std::vector<float> laplace(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::exponential_distribution<float> e(1.f);
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = e(rng) * ((rng() & 1) ? 1.f : -1.f);
  return v;
}

std::vector<float> relu_like(size_t n, uint32_t seed) {
  auto v = gaussian(n, seed, 0.f, 2.f);
  for (float& x : v) x = std::max(x, 0.f);
  return v;
}

Observer observe(const std::vector<float>& v, int bins = 2048) {
  Observer o(bins);
  o.observe(v);
  return o;
}

TEST(Histogram, MergingTwoObserversEqualsObservingTheUnion) {
  auto a = gaussian(10007, 1, 0.f, 0.5f);
  auto b = gaussian(7919, 2, 3.f, 9.f);  // forces the bound to grow
  Observer oa = observe(a), ob = observe(b);
  ASSERT_TRUE(oa.merge(ob).is_ok());
  Observer u(2048);
  u.observe(a);
  u.observe(b);
  Observer rev(2048);
  rev.observe(b);
  rev.observe(a);
  EXPECT_EQ(oa.hist.bound(), u.hist.bound());
  EXPECT_EQ(oa.hist.counts(), u.hist.counts());
  EXPECT_EQ(rev.hist.counts(), u.hist.counts());
  EXPECT_EQ(oa.minmax.lo(), u.minmax.lo());
  EXPECT_EQ(oa.minmax.hi(), u.minmax.hi());
  EXPECT_EQ(oa.hist.total(), 10007 + 7919);
}

TEST(Histogram, OneBatchEqualsManySmallBatches) {
  auto v = with_outliers(30011, 3);
  Observer whole = observe(v);
  Observer parts(2048);
  for (size_t i = 0; i < v.size(); i += 1013)
    parts.observe(std::span<const float>(v.data() + i, std::min<size_t>(1013, v.size() - i)));
  EXPECT_EQ(whole.hist.counts(), parts.hist.counts());
}

TEST(Histogram, NonFiniteValuesAreSkippedAndBinsMustBePowersOfTwo) {
  std::vector<float> v = {1.f, NAN, INFINITY, -2.f};
  Observer o = observe(v);
  EXPECT_EQ(o.minmax.lo(), -2.f);
  EXPECT_EQ(o.minmax.hi(), 1.f);
  EXPECT_EQ(o.minmax.skipped(), 2u);
  EXPECT_EQ(o.hist.total(), 2);
  EXPECT_FALSE(Histogram::validate_bins(1000).is_ok());
  EXPECT_TRUE(Histogram::validate_bins(512).is_ok());
}

TEST(Calibrators, TableMatchesTheDefList) {
  std::vector<std::string> names;
  for (const auto& c : calibrators()) names.emplace_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{"minmax", "percentile", "entropy", "l2", "tf-enhanced"}));
  EXPECT_FALSE(make_calibrator("kl", {}).is_ok());
}

TEST(Calibrators, Percentile100IsMinMax) {
  for (bool symmetric : {false, true}) {
    CalibKnobs k;
    k.percentile = 100.0;
    k.symmetric = symmetric;
    auto pct = make_calibrator("percentile", k);
    auto mm = make_calibrator("minmax", k);
    for (const auto& data : {with_outliers(9001, 4), relu_like(8191, 5), gaussian(777, 6, -3.f, 0.1f)}) {
      Observer o = observe(data);
      Range a = (*pct)->compute_range(o), b = (*mm)->compute_range(o);
      EXPECT_EQ(a.lo, b.lo) << "symmetric " << symmetric;
      EXPECT_EQ(a.hi, b.hi) << "symmetric " << symmetric;
    }
  }
}

TEST(Calibrators, PercentileClipsOutliers) {
  CalibKnobs k;
  k.percentile = 99.5;
  auto pct = make_calibrator("percentile", k);
  Observer o = observe(with_outliers(100003, 7));
  Range r = (*pct)->compute_range(o);
  EXPECT_LT(r.hi, 10.f);
  EXPECT_GT(r.lo, -10.f);
}

TEST(Calibrators, EveryRangeIsInsideTheObservedRange) {
  for (const auto& info : calibrators()) {
    for (bool symmetric : {false, true}) {
      CalibKnobs k;
      k.symmetric = symmetric;
      auto c = info.make(k);
      for (const auto& data : {with_outliers(50021, 8), relu_like(20011, 9), gaussian(4099, 10, 5.f, 1.f)}) {
        Observer o = observe(data);
        Range r = c->compute_range(o);
        EXPECT_GE(r.lo, o.minmax.lo()) << info.name;
        EXPECT_LE(r.hi, o.minmax.hi()) << info.name;
        EXPECT_LE(r.lo, r.hi) << info.name;
      }
    }
  }
}

TEST(Calibrators, L2ErrorIsAtMostMinMaxError) {
  CalibKnobs k;
  auto l2 = make_calibrator("l2", k);
  for (const auto& data : {with_outliers(60013, 11), laplace(40009, 16), relu_like(30011, 12), gaussian(5003, 13, 0.f, 1.f)}) {
    Observer o = observe(data);
    Range r = (*l2)->compute_range(o);
    HistView v = trimmed_view(o.hist, o.minmax);
    double e_l2 = histogram_l2_error(v, r.lo, r.hi, k.levels);
    double e_mm = histogram_l2_error(v, o.minmax.lo(), o.minmax.hi(), k.levels);
    EXPECT_LE(e_l2, e_mm);
  }
  // On a heavy tail the search must actually clip.
  Observer o = observe(laplace(100003, 11));
  Range r = (*l2)->compute_range(o);
  EXPECT_LT(r.hi - r.lo, o.minmax.hi() - o.minmax.lo());
}

TEST(Calibrators, EntropyAndTfEnhancedClipHeavyTails) {
  Observer o = observe(laplace(100003, 14));
  for (const char* name : {"entropy", "tf-enhanced"}) {
    auto c = make_calibrator(name, {});
    Range r = (*c)->compute_range(o);
    EXPECT_LT(r.hi - r.lo, o.minmax.hi() - o.minmax.lo()) << name;
    EXPECT_GT(r.hi, 2.f) << name;  // but keeps the body of the distribution
    EXPECT_LT(r.lo, -2.f) << name;
  }
}

TEST(Calibrators, ConstantTensorGivesADegenerateButValidRange) {
  std::vector<float> zeros(513, 0.f);
  for (const auto& info : calibrators()) {
    Observer o = observe(zeros);
    Range r = info.make({})->compute_range(o);
    EXPECT_EQ(r.lo, 0.f) << info.name;
    EXPECT_EQ(r.hi, 0.f) << info.name;
    float s;
    int32_t zp;
    scale_zp(r.lo, r.hi, {DType::kU8, false, false}, s, zp);
    EXPECT_EQ(s, 1.f);
  }
}

TEST(Weights, PerChannelSymmetricS8RoundTripsWithinHalfAStep) {
  Tensor w = Tensor::empty(DType::kF32, {5, 3, 3, 3});
  auto g = gaussian(static_cast<size_t>(w.numel()), 15, 0.f, 1.f);
  for (int64_t c = 0; c < 5; ++c)
    for (int64_t i = 0; i < 27; ++i) w.data<float>()[c * 27 + i] = g[static_cast<size_t>(c * 27 + i)] * static_cast<float>(c + 1);
  QParams p;
  Tensor q = quantize_weight(w, {DType::kI8, true, false}, 0, p);
  ASSERT_EQ(p.scale.size(), 5u);
  for (int64_t c = 0; c < 5; ++c) {
    EXPECT_EQ(p.zero_point[static_cast<size_t>(c)], 0);
    for (int64_t i = 0; i < 27; ++i) {
      int8_t qi = q.data<int8_t>()[c * 27 + i];
      EXPECT_GE(qi, -127);
      float back = qi * p.scale[static_cast<size_t>(c)];
      EXPECT_LE(std::fabs(back - w.data<float>()[c * 27 + i]), p.scale[static_cast<size_t>(c)] / 2 + 1e-6f);
    }
  }
  Tensor b = Tensor::from_vector<float>(DType::kF32, {5}, {0.5f, -1.f, 0.f, 3.25f, 100.f});
  Tensor bq = quantize_bias(b, 0.02f, p.scale);
  for (int64_t c = 0; c < 5; ++c)
    EXPECT_EQ(bq.data<int32_t>()[c],
              static_cast<int32_t>(std::nearbyint(b.data<float>()[c] / static_cast<float>(0.02f * p.scale[static_cast<size_t>(c)]))));
}

TEST(Weights, ActivationParamsFollowOrt) {
  float s;
  int32_t zp;
  scale_zp(0.f, 6.f, {DType::kU8, false, false}, s, zp);  // Relu6 output
  EXPECT_FLOAT_EQ(s, 6.f / 255.f);
  EXPECT_EQ(zp, 0);
  scale_zp(-1.f, 3.f, {DType::kI8, false, false}, s, zp);
  EXPECT_FLOAT_EQ(s, 4.f / 255.f);
  EXPECT_EQ(zp, static_cast<int32_t>(std::nearbyint(-128 + 1.f / s)));
  scale_zp(-1.f, 3.f, {DType::kI8, true, false}, s, zp);
  EXPECT_FLOAT_EQ(s, 3.f / 127.f);
  EXPECT_EQ(zp, 0);
  scale_zp(2.f, 3.f, {DType::kU8, false, false}, s, zp);  // range widened to contain 0
  EXPECT_EQ(zp, 0);
}

}  // namespace
}  // namespace inr::quant
