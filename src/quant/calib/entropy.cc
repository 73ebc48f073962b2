// entropy: the threshold that minimises the KL divergence between the float distribution and its
// quantized version. Method: Szymon Migacz, "8-bit Inference with TensorRT" (GTC 2017); this follows the
// port in ONNX Runtime's EntropyCalibrater (onnxruntime/python/tools/quantization/calibrate.py,
// HistogramCollector.get_entropy_threshold, num_quantized_bins 128):
//   for every symmetric candidate window [-t_i, t_i] of 2i bins around zero (i = quantized/2 .. half):
//     P = the window's bins, with the mass outside added to its first and last bin;
//     Q = the window merged into `quantized` bins, each spread evenly over the window bins that are
//         non-zero in the window (TensorRT's expansion: zero bins of P stay zero in Q);
//     both smoothed (eps 1e-4 moved from non-zero to zero bins) and normalised; score KL(P || Q).
//   The window with the smallest KL wins; the range is clamped to the observed [min, max] (ORT does too),
//   so a non-negative tensor gets [0, t].
// Differences from ORT's code: Q is kept in double (ORT stores it in an int64 array, truncating), and the
// histogram is inr's power-of-two one (observer.h), so the window grid differs slightly.
#include <cmath>
#include <limits>
#include <vector>

#include "quant/calibrator.h"

namespace inr::quant {

namespace {

constexpr double kSmoothEps = 1e-4;  // ORT smooth_distribution eps

// Returns false when all bins are zero (ORT returns None -> infinite divergence).
bool smooth(std::vector<double>& d) {
  size_t zeros = 0;
  for (double v : d) zeros += v == 0.0;
  size_t nonzeros = d.size() - zeros;
  if (nonzeros == 0) return false;
  double eps1 = kSmoothEps * static_cast<double>(zeros) / static_cast<double>(nonzeros);
  for (double& v : d) v += v == 0.0 ? kSmoothEps : -eps1;
  return true;
}

double kl_divergence(const std::vector<double>& p, const std::vector<double>& q) {
  double sp = 0, sq = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    sp += p[i];
    sq += q[i];
  }
  double kl = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    double pi = p[i] / sp, qi = q[i] / sq;
    if (pi > 0) kl += qi > 0 ? pi * std::log(pi / qi) : std::numeric_limits<double>::infinity();
  }
  return kl;
}

class EntropyCalibrator final : public Calibrator {
 public:
  explicit EntropyCalibrator(const CalibKnobs& k) : quantized_(k.entropy_quantized_bins) {}
  std::string_view name() const override { return "entropy"; }
  bool needs_histogram() const override { return true; }

  Range compute_range(const Observer& obs) const override {
    const MinMax& mm = obs.minmax;
    if (obs.hist.empty()) return mm.range();
    HistView v = symmetric_view(obs.hist, mm);
    const int n = static_cast<int>(v.counts.size()), zero = n / 2, half_q = quantized_ / 2;
    if (zero < half_q || quantized_ < 2) return mm.range();  // fewer bins than levels: nothing to clip
    std::vector<double> prefix(static_cast<size_t>(n) + 1, 0.0);
    for (int i = 0; i < n; ++i) prefix[static_cast<size_t>(i) + 1] = prefix[static_cast<size_t>(i)] + v.counts[static_cast<size_t>(i)];
    double best = std::numeric_limits<double>::infinity();
    int best_i = zero;
    std::vector<double> p, q;
    for (int i = half_q; i <= zero; ++i) {
      const int start = zero - i, end = zero + i;  // window bins [start, end)
      const int len = end - start;
      p.assign(v.counts.begin() + start, v.counts.begin() + end);
      p.front() += prefix[static_cast<size_t>(start)];
      p.back() += prefix[static_cast<size_t>(n)] - prefix[static_cast<size_t>(end)];
      // Merge the (unclipped) window into quantized_ bins; the remainder joins the last one.
      const int merged = len / quantized_;
      q.assign(static_cast<size_t>(len), 0.0);
      for (int j = 0; j < quantized_; ++j) {
        const int b = j * merged, e = j == quantized_ - 1 ? len : b + merged;
        double mass = 0;
        int nonzero = 0;
        for (int t = b; t < e; ++t) {
          mass += v.counts[static_cast<size_t>(start + t)];
          nonzero += p[static_cast<size_t>(t)] != 0.0;
        }
        if (nonzero == 0) continue;
        for (int t = b; t < e; ++t)
          if (p[static_cast<size_t>(t)] != 0.0) q[static_cast<size_t>(t)] = mass / nonzero;
      }
      if (!smooth(p) || !smooth(q)) continue;
      double kl = kl_divergence(p, q);
      if (kl < best) {
        best = kl;
        best_i = i;
      }
    }
    double t = v.edge(static_cast<size_t>(zero + best_i));
    return clamp_to_observed({static_cast<float>(-t), static_cast<float>(t)}, mm);
  }

 private:
  int quantized_;
};

}  // namespace

std::unique_ptr<Calibrator> make_entropy_calibrator(const CalibKnobs& k) { return std::make_unique<EntropyCalibrator>(k); }

}  // namespace inr::quant
