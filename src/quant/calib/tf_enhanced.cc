// tf-enhanced: AIMET's TF-enhanced encoding analysis (Qualcomm AI Model Efficiency Toolkit; the v2 form
// is aimet_torch/v2/quantization/encoding_analyzer.py, SqnrEncodingAnalyzer, defaults
// asymmetric_delta_candidates 17, symmetric_delta_candidates 101, offset_candidates 21, gamma 3.0).
// A grid search over (delta, offset) encodings: delta in {max_delta * k / candidates}, offset on an even
// grid over [-num_steps, 0] plus the observed min's own offset; each candidate is first clamped to the
// observed range; its noise is estimated on the histogram's bin centres as
//   sum_bins count * (qdq(centre) - centre)^2, clipped bins weighted by gamma,
// and the encoding with the least noise wins. Symmetric: the offset is fixed at -(num_steps + 1) / 2 and
// only delta is searched (101 candidates).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "quant/calibrator.h"

namespace inr::quant {

namespace {

constexpr int kSymmetricDeltaCandidates = 101;  // AIMET SqnrEncodingAnalyzer default

class TfEnhancedCalibrator final : public Calibrator {
 public:
  explicit TfEnhancedCalibrator(const CalibKnobs& k) : k_(k) {}
  std::string_view name() const override { return "tf-enhanced"; }
  bool needs_histogram() const override { return true; }

  Range compute_range(const Observer& obs) const override {
    const MinMax& mm = obs.minmax;
    if (obs.hist.empty() || !(mm.hi() > mm.lo())) return mm.range();
    HistView v = trimmed_view(obs.hist, mm);
    const double steps = k_.levels - 1;
    double omin = std::min<double>(mm.lo(), 0.0), omax = std::max<double>(mm.hi(), 0.0);
    double best = std::numeric_limits<double>::infinity(), best_lo = omin, best_hi = omax;
    auto consider = [&](double delta, double offset) {
      // AIMET _clamp_delta_offset_values: shrink the candidate to the observed range.
      double lo = std::max(omin, delta * offset), hi = std::min(omax, delta * (steps + offset));
      if (!(hi > lo)) return;
      delta = (hi - lo) / steps;
      offset = std::round(lo / delta);
      double noise = estimate_noise(v, delta, offset, steps);
      if (noise < best) {
        best = noise;
        best_lo = delta * offset;
        best_hi = delta * (offset + steps);
      }
    };
    if (k_.symmetric) {
      double absmax = std::max(std::fabs(omin), std::fabs(omax));
      double max_delta = 2 * absmax / steps;
      double offset = -std::floor((steps + 1) / 2);
      for (int d = 1; d <= kSymmetricDeltaCandidates; ++d) {
        double delta = max_delta * d / kSymmetricDeltaCandidates;
        double noise = estimate_noise(v, delta, offset, steps);
        if (noise < best) {
          best = noise;
          best_lo = delta * offset;
          best_hi = delta * (offset + steps);
        }
      }
    } else {
      double max_delta = (omax - omin) / steps;
      double observed_offset = std::round(omin / max_delta);
      int num_offsets = std::min(static_cast<int>(steps) + 2, k_.tfe_offset_candidates);
      int offset_step = std::max(1, static_cast<int>(steps / std::max(1, num_offsets - 2)));
      std::vector<double> offsets;
      for (int o = -static_cast<int>(steps); o <= 0; o += offset_step) offsets.push_back(o);
      offsets.push_back(observed_offset);
      for (int d = 1; d <= k_.tfe_delta_candidates; ++d) {
        double delta = max_delta * d / k_.tfe_delta_candidates;
        for (double o : offsets) consider(delta, o);
      }
    }
    return clamp_to_observed({static_cast<float>(best_lo), static_cast<float>(best_hi)}, mm);
  }

 private:
  double estimate_noise(const HistView& v, double delta, double offset, double steps) const {
    const double enc_min = delta * offset, enc_max = delta * (offset + steps);
    double noise = 0;
    for (size_t i = 0; i < v.counts.size(); ++i) {
      if (v.counts[i] <= 0) continue;
      double c = v.edge(i) + v.width / 2;
      double q = std::clamp(std::round(c / delta) - offset, 0.0, steps);
      double e = (q + offset) * delta - c;
      double w = (c < enc_min || c > enc_max) ? k_.tfe_gamma : 1.0;
      noise += w * v.counts[i] * e * e;
    }
    return noise;
  }
  CalibKnobs k_;
};

}  // namespace

std::unique_ptr<Calibrator> make_tf_enhanced_calibrator(const CalibKnobs& k) {
  return std::make_unique<TfEnhancedCalibrator>(k);
}

}  // namespace inr::quant
