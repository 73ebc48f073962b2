// Summary statistics of a sample of latencies (or any measurements), as `inr bench` reports them.
//
// Percentile method: nearest rank. For n sorted values x[1..n] and 0 < p <= 100 the p-th percentile is
// x[ceil(p/100 * n)], and the 0th is x[1]. Every reported percentile is therefore a value that was actually
// measured (no interpolation between two runs), percentiles never decrease with p, p100 is the maximum,
// and with fewer than 1000 runs p99.9 is the maximum too (Hyndman & Fan 1996, "Sample quantiles in
// statistical packages", definition 1: the inverse of the empirical distribution function).
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace inr {

// The p-th percentile (0 <= p <= 100) of `sorted` (ascending, non-empty) by nearest rank.
double percentile_nearest_rank(std::span<const double> sorted, double p);

struct SampleStats {
  size_t count = 0;
  double mean = 0;
  double stddev = 0;  // sample standard deviation (n - 1 in the denominator); 0 for one value
  double min = 0, p50 = 0, p90 = 0, p95 = 0, p99 = 0, p999 = 0, max = 0;
};

// Statistics of a non-empty sample (the values need not be sorted); all zero when it is empty.
SampleStats sample_stats(std::vector<double> values);

}  // namespace inr
