#include "data/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace inr::data {

Interval wilson_interval(int64_t successes, int64_t n, double z) {
  if (n <= 0) return {0.0, 1.0};
  const double nn = static_cast<double>(n);
  const double p = static_cast<double>(successes) / nn;
  const double z2 = z * z;
  const double denom = 1.0 + z2 / nn;
  const double center = (p + z2 / (2.0 * nn)) / denom;
  const double half = z * std::sqrt(p * (1.0 - p) / nn + z2 / (4.0 * nn * nn)) / denom;
  return {std::max(0.0, center - half), std::min(1.0, center + half)};
}

TopHit top_hit(std::span<const int> top, int label) {
  TopHit h;
  for (size_t i = 0; i < top.size() && i < 5; ++i) {
    if (top[i] == label) {
      h.top5 = true;
      h.top1 = i == 0;
      break;
    }
  }
  return h;
}

double binomial_two_sided_half(int64_t k, int64_t n) {
  if (n <= 0) return 1.0;
  const int64_t m = std::min(k, n - k);
  // Sum C(n, i) / 2^n for i = 0..m in log space (n can be large when called directly).
  double tail = 0;
  const double log_half_n = static_cast<double>(n) * std::log(0.5);
  for (int64_t i = 0; i <= m; ++i) {
    double log_c = std::lgamma(static_cast<double>(n) + 1) - std::lgamma(static_cast<double>(i) + 1) -
                   std::lgamma(static_cast<double>(n - i) + 1);
    tail += std::exp(log_c + log_half_n);
  }
  return std::min(1.0, 2.0 * tail);
}

McNemar mcnemar(int64_t b, int64_t c, int64_t exact_below) {
  McNemar m;
  m.b = b;
  m.c = c;
  const int64_t n = b + c;
  if (n == 0) {
    m.exact = true;
    m.p_value = 1.0;
    return m;
  }
  if (n < exact_below) {
    m.exact = true;
    m.p_value = binomial_two_sided_half(b, n);
    return m;
  }
  const double d = std::max(0.0, std::abs(static_cast<double>(b - c)) - 1.0);
  m.statistic = d * d / static_cast<double>(n);
  // Survival function of chi-square with 1 dof: P[X > x] = erfc(sqrt(x / 2)).
  m.p_value = std::erfc(std::sqrt(m.statistic / 2.0));
  return m;
}

PairedDelta paired_delta(int64_t b, int64_t c, int64_t n, double z) {
  PairedDelta d;
  if (n <= 0) return d;
  const double nn = static_cast<double>(n);
  const double diff = static_cast<double>(c - b);
  d.delta = diff / nn;
  const double var = std::max(0.0, static_cast<double>(b + c) - diff * diff / nn);
  const double half = z * std::sqrt(var) / nn;
  d.ci = {d.delta - half, d.delta + half};
  return d;
}

}  // namespace inr::data
