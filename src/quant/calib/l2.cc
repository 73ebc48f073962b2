// l2: the range that minimises the L2 norm of the quantization error over the histogram. Method: Caffe2
// DNNLOWP's norm minimisation (caffe2/quantization/server/norm_minimization.cc, NormMinimization with
// Kind::L2, the greedy search) as also used by PyTorch's HistogramObserver._non_linear_param_search:
// start from the full [min, max] range, and repeatedly move whichever end (by a step of `l2_stepsize` of
// the CDF mass) gives up less mass, keeping the move while the error decreases.
// The error model here is exact for a piecewise-uniform density: every value maps to the nearest of
// `levels` evenly spaced levels from lo to hi, values outside clamp to the end levels (Caffe2's model uses
// bin centres instead; the search is the same). Because the search starts at [min, max] and only accepts
// improvements, the result's error is never above minmax's on the same histogram.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "quant/calibrator.h"

namespace inr::quant {

namespace {

// Integral over [u, v] of (x - t)^2.
inline double sq_integral(double u, double v, double t) {
  double a = u - t, b = v - t;
  return (b * b * b - a * a * a) / 3.0;
}

}  // namespace

double histogram_l2_error(const HistView& h, double lo, double hi, int levels) {
  if (!(hi > lo) || levels < 2) {  // everything maps to one value
    double t = lo, err = 0;
    for (size_t i = 0; i < h.counts.size(); ++i)
      if (h.counts[i] > 0) err += h.counts[i] / h.width * sq_integral(h.edge(i), h.edge(i + 1), t);
    return err;
  }
  const double step = (hi - lo) / (levels - 1);
  double err = 0;
  for (size_t i = 0; i < h.counts.size(); ++i) {
    if (h.counts[i] <= 0) continue;
    const double a = h.edge(i), b = h.edge(i + 1), density = h.counts[i] / h.width;
    // Walk the level cells that [a, b] overlaps: cell k is [lo + (k - .5) step, lo + (k + .5) step],
    // cell 0 extends to -inf and cell levels-1 to +inf.
    double u = a;
    while (u < b) {
      double kf = std::round((u - lo) / step);
      int k = static_cast<int>(std::clamp(kf, 0.0, static_cast<double>(levels - 1)));
      double cell_end = k == levels - 1 ? b : lo + (k + 0.5) * step;
      double v = std::min(b, std::max(cell_end, u));
      if (v <= u) v = std::min(b, std::nextafter(u, b));  // rounding at a cell boundary
      err += density * sq_integral(u, v, lo + k * step);
      u = v;
    }
  }
  return err;
}

namespace {

class L2Calibrator final : public Calibrator {
 public:
  explicit L2Calibrator(const CalibKnobs& k) : levels_(k.levels), stepsize_(k.l2_stepsize) {}
  std::string_view name() const override { return "l2"; }
  bool needs_histogram() const override { return true; }

  Range compute_range(const Observer& obs) const override {
    const MinMax& mm = obs.minmax;
    if (obs.hist.empty() || !(mm.hi() > mm.lo())) return mm.range();
    HistView v = trimmed_view(obs.hist, mm);
    const int n = static_cast<int>(v.counts.size());
    std::vector<double> csum(static_cast<size_t>(n));
    double total = 0;
    for (int i = 0; i < n; ++i) csum[static_cast<size_t>(i)] = total += v.counts[static_cast<size_t>(i)];
    auto err_of = [&](int s, int e) { return histogram_l2_error(v, clamp_lo(v.edge(s), mm), clamp_hi(v.edge(e + 1), mm), levels_); };
    // PyTorch HistogramObserver._non_linear_param_search / Caffe2 greedy search.
    int start = 0, end = n - 1;
    double alpha = 0, beta = 1, norm_min = err_of(start, end);
    while (alpha < beta) {
      double next_alpha = alpha + stepsize_, next_beta = beta - stepsize_;
      int l = start, r = end;
      while (l < end && csum[static_cast<size_t>(l)] < next_alpha * total) ++l;
      while (r > start && csum[static_cast<size_t>(r)] > next_beta * total) --r;
      int next_start = start, next_end = end;
      if (l - start > end - r) {
        next_start = l;
        alpha = next_alpha;
      } else {
        next_end = r;
        beta = next_beta;
      }
      if (next_start == start && next_end == end) continue;
      double norm = err_of(next_start, next_end);
      if (norm > norm_min) break;
      norm_min = norm;
      start = next_start;
      end = next_end;
    }
    Range r = clamp_to_observed({static_cast<float>(v.edge(start)), static_cast<float>(v.edge(end + 1))}, mm);
    // Guard the contract (never worse than minmax) against the final clamp's rounding.
    if (histogram_l2_error(v, r.lo, r.hi, levels_) > histogram_l2_error(v, mm.lo(), mm.hi(), levels_)) return mm.range();
    return r;
  }

 private:
  static double clamp_lo(double x, const MinMax& mm) { return std::clamp(x, static_cast<double>(mm.lo()), static_cast<double>(mm.hi())); }
  static double clamp_hi(double x, const MinMax& mm) { return clamp_lo(x, mm); }
  int levels_;
  double stepsize_;
};

}  // namespace

std::unique_ptr<Calibrator> make_l2_calibrator(const CalibKnobs& k) { return std::make_unique<L2Calibrator>(k); }

}  // namespace inr::quant
