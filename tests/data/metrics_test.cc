// Metrics against published / hand-computed values.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "data/metrics.h"

namespace inr::data {
namespace {

TEST(Wilson, MatchesPublishedValues) {
  // Brown, Cai & DasGupta (2001) / statsmodels proportion_confint(method="wilson"):
  // 81 of 263 -> [0.2553, 0.3662]; 0 of 10 -> [0, 0.2775]; 10 of 10 -> [0.7225, 1].
  Interval a = wilson_interval(81, 263);
  EXPECT_NEAR(a.lo, 0.25527, 1e-4);
  EXPECT_NEAR(a.hi, 0.36620, 1e-4);
  Interval z = wilson_interval(0, 10);
  EXPECT_DOUBLE_EQ(z.lo, 0.0);
  EXPECT_NEAR(z.hi, 0.27753, 1e-4);
  Interval o = wilson_interval(10, 10);
  EXPECT_NEAR(o.lo, 0.72247, 1e-4);
  EXPECT_DOUBLE_EQ(o.hi, 1.0);
  Interval e = wilson_interval(0, 0);
  EXPECT_EQ(e.lo, 0.0);
  EXPECT_EQ(e.hi, 1.0);
}

TEST(Wilson, ContainsTheRateAndNarrowsWithN) {
  for (int64_t n : {7, 31, 257, 1166}) {
    Interval i = wilson_interval(n * 4 / 5, n);
    double p = static_cast<double>(n * 4 / 5) / static_cast<double>(n);
    EXPECT_LT(i.lo, p);
    EXPECT_GT(i.hi, p);
  }
  EXPECT_LT(wilson_interval(800, 1000).hi - wilson_interval(800, 1000).lo,
            wilson_interval(80, 100).hi - wilson_interval(80, 100).lo);
}

TEST(TopHit, FirstAndFifth) {
  std::vector<int> top = {3, 1, 4, 1, 5};
  EXPECT_TRUE(top_hit(top, 3).top1);
  EXPECT_TRUE(top_hit(top, 3).top5);
  EXPECT_FALSE(top_hit(top, 5).top1);
  EXPECT_TRUE(top_hit(top, 5).top5);
  EXPECT_FALSE(top_hit(top, 9).top5);
  std::vector<int> seven = {0, 1, 2, 3, 4, 5, 6};
  EXPECT_FALSE(top_hit(seven, 6).top5);  // only the first five count
}

TEST(McNemar, ExactBinomialForSmallCounts) {
  // b=1, c=6: 2 * P[X<=1 | n=7] = 2 * 8/128 = 0.125.
  McNemar m = mcnemar(1, 6);
  EXPECT_TRUE(m.exact);
  EXPECT_NEAR(m.p_value, 0.125, 1e-12);
  // b=0, c=5: 2/32.
  EXPECT_NEAR(mcnemar(0, 5).p_value, 0.0625, 1e-12);
  // Symmetric and capped at 1.
  EXPECT_NEAR(mcnemar(6, 1).p_value, 0.125, 1e-12);
  EXPECT_DOUBLE_EQ(mcnemar(3, 3).p_value, 1.0);
  EXPECT_DOUBLE_EQ(mcnemar(0, 0).p_value, 1.0);
}

TEST(McNemar, ChiSquareWithContinuityCorrection) {
  // b=10, c=25 (n=35 >= 25): chi2 = (15-1)^2/35 = 5.6, p = 0.017961 (scipy.stats.chi2.sf(5.6, 1)).
  McNemar m = mcnemar(10, 25);
  EXPECT_FALSE(m.exact);
  EXPECT_NEAR(m.statistic, 5.6, 1e-12);
  EXPECT_NEAR(m.p_value, 0.0179598, 1e-6);
  // Agrees roughly with the exact test where both are reasonable.
  EXPECT_NEAR(mcnemar(10, 25, /*exact_below=*/1000).p_value, m.p_value, 0.01);
}

TEST(McNemar, BinomialTailLargeN) {
  // P[X <= 500 | n=1000] * 2 > 1 -> capped; k = 0 of 60 is tiny but positive.
  EXPECT_DOUBLE_EQ(binomial_two_sided_half(500, 1000), 1.0);
  double p = binomial_two_sided_half(0, 60);
  EXPECT_GT(p, 0.0);
  EXPECT_NEAR(p, 2.0 * std::pow(0.5, 60), 1e-25);
}

TEST(PairedDelta, SignAndInterval) {
  PairedDelta d = paired_delta(5, 15, 1000);
  EXPECT_NEAR(d.delta, 0.01, 1e-12);
  EXPECT_LT(d.ci.lo, d.delta);
  EXPECT_GT(d.ci.hi, d.delta);
  // se = sqrt(20 - 100/1000)/1000
  EXPECT_NEAR(d.ci.hi - d.delta, kZ95 * std::sqrt(20.0 - 0.1) / 1000.0, 1e-12);
  EXPECT_EQ(paired_delta(0, 0, 0).delta, 0.0);
}

}  // namespace
}  // namespace inr::data
