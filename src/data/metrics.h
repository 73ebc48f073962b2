// Accuracy metrics for eval / compare / merge: top-k counts, Wilson score intervals, McNemar's test for
// paired classifiers, and a paired confidence interval for the accuracy difference.
// Hand-written (a few lines each) rather than pulling in a statistics library; formulas are cited.
#pragma once

#include <cstdint>
#include <span>

namespace inr::data {

// 95% two-sided normal quantile (qnorm(0.975)).
inline constexpr double kZ95 = 1.959963984540054;

struct Interval {
  double lo = 0, hi = 0;
};

// Wilson score interval for `successes` out of `n` (Wilson 1927; Brown, Cai & DasGupta 2001 recommend it
// over the Wald interval for proportions near 0 or 1). n == 0 gives [0, 1].
Interval wilson_interval(int64_t successes, int64_t n, double z = kZ95);

// Whether the true label is among the first 1 / first 5 of `top` (best first).
struct TopHit {
  bool top1 = false;
  bool top5 = false;
};
TopHit top_hit(std::span<const int> top, int label);

// McNemar's test on paired outcomes. b = A right & B wrong, c = A wrong & B right.
// Exact two-sided binomial test (b ~ Bin(b + c, 1/2)) when b + c < `exact_below`; otherwise the chi-square
// statistic with Edwards' continuity correction, (|b - c| - 1)^2 / (b + c), on 1 degree of freedom.
// b + c == 0 gives p = 1.
struct McNemar {
  int64_t b = 0, c = 0;
  bool exact = false;
  double statistic = 0;  // chi-square (0 for the exact test)
  double p_value = 1;
};
inline constexpr int64_t kMcNemarExactBelow = 25;
McNemar mcnemar(int64_t b, int64_t c, int64_t exact_below = kMcNemarExactBelow);

// Two-sided exact binomial p-value for k successes in n trials with p = 1/2 (the exact McNemar test):
// min(1, 2 * P[X <= min(k, n - k)]).
double binomial_two_sided_half(int64_t k, int64_t n);

// Paired difference of two accuracies, acc(B) - acc(A) = (c - b) / n, with the Wald interval for paired
// proportions: se = sqrt(b + c - (c - b)^2 / n) / n (Agresti, Categorical Data Analysis, 10.1).
struct PairedDelta {
  double delta = 0;
  Interval ci;
};
PairedDelta paired_delta(int64_t b, int64_t c, int64_t n, double z = kZ95);

}  // namespace inr::data
