#include "core/stats.h"

#include <algorithm>
#include <cmath>

namespace inr {

double percentile_nearest_rank(std::span<const double> sorted, double p) {
  const size_t n = sorted.size();
  // rank = ceil(p/100 * n), clamped to [1, n]. The product is rounded to 1e-9 first so that e.g.
  // 90% of 10 (0.9 * 10 = 9.000000000000002 in binary) is rank 9, not 10.
  double exact = p / 100.0 * static_cast<double>(n);
  double rounded = std::round(exact * 1e9) / 1e9;
  size_t rank = static_cast<size_t>(std::ceil(rounded));
  rank = std::clamp<size_t>(rank, 1, n);
  return sorted[rank - 1];
}

SampleStats sample_stats(std::vector<double> v) {
  SampleStats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.count = v.size();
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / static_cast<double>(v.size());
  double sq = 0;
  for (double x : v) sq += (x - s.mean) * (x - s.mean);
  s.stddev = v.size() > 1 ? std::sqrt(sq / static_cast<double>(v.size() - 1)) : 0.0;
  s.min = v.front();
  s.max = v.back();
  s.mean = std::clamp(s.mean, s.min, s.max);  // the rounded sum of n equal values can land an ulp outside
  s.p50 = percentile_nearest_rank(v, 50);
  s.p90 = percentile_nearest_rank(v, 90);
  s.p95 = percentile_nearest_rank(v, 95);
  s.p99 = percentile_nearest_rank(v, 99);
  s.p999 = percentile_nearest_rank(v, 99.9);
  return s;
}

}  // namespace inr
