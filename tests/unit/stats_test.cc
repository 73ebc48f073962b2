// core/stats.h: nearest-rank percentiles and the sample statistics `inr bench` prints.
#include "core/stats.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

namespace inr {
namespace {

// 1..10: nearest rank of p is ceil(p/100 * 10), so p50 = 5 (not the 5.5 interpolation gives), p90 = 9
// (0.9 * 10 is 9.000000000000002 in binary: must not round up to rank 10), p95 = p99 = p99.9 = 10.
TEST(Stats, NearestRankOnOneToTen) {
  std::vector<double> v{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_EQ(percentile_nearest_rank(v, 0), 1);
  EXPECT_EQ(percentile_nearest_rank(v, 10), 1);
  EXPECT_EQ(percentile_nearest_rank(v, 11), 2);
  EXPECT_EQ(percentile_nearest_rank(v, 50), 5);
  EXPECT_EQ(percentile_nearest_rank(v, 50.1), 6);
  EXPECT_EQ(percentile_nearest_rank(v, 90), 9);
  EXPECT_EQ(percentile_nearest_rank(v, 95), 10);
  EXPECT_EQ(percentile_nearest_rank(v, 99.9), 10);
  EXPECT_EQ(percentile_nearest_rank(v, 100), 10);
}

// The worked example of nearest rank (Wikipedia, "Percentile"): {15, 20, 35, 40, 50}: p5 = 15, p30 = 20,
// p40 = 20, p50 = 35, p100 = 50.
TEST(Stats, NearestRankTextbookExample) {
  std::vector<double> v{15, 20, 35, 40, 50};
  EXPECT_EQ(percentile_nearest_rank(v, 5), 15);
  EXPECT_EQ(percentile_nearest_rank(v, 30), 20);
  EXPECT_EQ(percentile_nearest_rank(v, 40), 20);
  EXPECT_EQ(percentile_nearest_rank(v, 50), 35);
  EXPECT_EQ(percentile_nearest_rank(v, 100), 50);
}

// 1000 values 1..1000 in reverse order: p99.9 is the 999th, not the maximum; the sample is sorted first.
TEST(Stats, SampleStatsOfAThousand) {
  std::vector<double> v;
  for (int i = 1000; i >= 1; --i) v.push_back(i);
  SampleStats s = sample_stats(v);
  EXPECT_EQ(s.count, 1000u);
  EXPECT_EQ(s.min, 1);
  EXPECT_EQ(s.p50, 500);
  EXPECT_EQ(s.p90, 900);
  EXPECT_EQ(s.p95, 950);
  EXPECT_EQ(s.p99, 990);
  EXPECT_EQ(s.p999, 999);
  EXPECT_EQ(s.max, 1000);
  EXPECT_DOUBLE_EQ(s.mean, 500.5);
  // Sample standard deviation of 1..n: sqrt(n (n + 1) / 12).
  EXPECT_NEAR(s.stddev, std::sqrt(1000.0 * 1001.0 / 12.0), 1e-9);
}

TEST(Stats, OneValueAndEqualValues) {
  SampleStats one = sample_stats({2.5});
  EXPECT_EQ(one.min, 2.5);
  EXPECT_EQ(one.p999, 2.5);
  EXPECT_EQ(one.stddev, 0);
  // The rounded sum of equal values can divide to a neighbour of the value; the mean stays inside [min, max].
  SampleStats same = sample_stats(std::vector<double>(7, 0.1));
  EXPECT_GE(same.mean, same.min);
  EXPECT_LE(same.mean, same.max);
  EXPECT_EQ(sample_stats({}).count, 0u);
}

}  // namespace
}  // namespace inr
