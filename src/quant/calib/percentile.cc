// percentile: clip the histogram's tails, as ORT's PercentileCalibrater (onnxruntime/python/tools/
// quantization/calibrate.py, HistogramCollector.compute_percentile; default percentile 99.999).
//  - symmetric: the threshold t is where the CDF of |x| reaches p; range [-t, t].
//  - otherwise (ORT's default): cut (100 - p) / 200 of the mass from each side.
// One deliberate difference: ORT returns the *left* edge of the bin where the CDF crosses p, which is up to
// one bin below the data even at p = 100; this returns the right edge, so p = 100 gives exactly the
// observed [min, max] (the range is clamped to it, as ORT does).
#include <cmath>

#include "quant/calibrator.h"

namespace inr::quant {

namespace {

class PercentileCalibrator final : public Calibrator {
 public:
  explicit PercentileCalibrator(const CalibKnobs& k) : percentile_(k.percentile), symmetric_(k.symmetric) {}
  std::string_view name() const override { return "percentile"; }
  bool needs_histogram() const override { return true; }

  Range compute_range(const Observer& obs) const override {
    const MinMax& mm = obs.minmax;
    if (obs.hist.empty()) return mm.range();
    const double p = percentile_ / 100.0;
    if (symmetric_) {
      HistView v = symmetric_view(obs.hist, mm);
      size_t half = v.counts.size() / 2;
      double total = 0;
      for (double c : v.counts) total += c;
      double target = p * total, cum = 0;
      double t = v.hi();
      for (size_t k = 0; k < half; ++k) {  // |x| bin k = bins half+k and half-1-k
        cum += v.counts[half + k] + v.counts[half - 1 - k];
        if (cum >= target) {
          t = v.edge(half + k + 1);
          break;
        }
      }
      return clamp_to_observed({static_cast<float>(-t), static_cast<float>(t)}, mm);
    }
    HistView v = trimmed_view(obs.hist, mm);
    double total = 0;
    for (double c : v.counts) total += c;
    const double cut = (1.0 - p) / 2.0;
    double cum = 0, lo = v.lo, hi = v.hi();
    bool lo_set = false;
    for (size_t i = 0; i < v.counts.size(); ++i) {
      cum += v.counts[i];
      if (!lo_set && cum >= cut * total && cum > 0) {
        lo = v.edge(i);
        lo_set = true;
      }
      if (cum >= (1.0 - cut) * total) {
        hi = v.edge(i + 1);
        break;
      }
    }
    return clamp_to_observed({static_cast<float>(lo), static_cast<float>(hi)}, mm);
  }

 private:
  double percentile_;
  bool symmetric_;
};

}  // namespace

std::unique_ptr<Calibrator> make_percentile_calibrator(const CalibKnobs& k) {
  return std::make_unique<PercentileCalibrator>(k);
}

}  // namespace inr::quant
