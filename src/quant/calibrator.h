// Calibrators: turn one tensor's observed statistics into the float range [lo, hi] that its quantization
// parameters are computed from.
//
// One algorithm per file in src/quant/calib/<name>.cc and one line in src/quant/calibrators.def (the list
// that feeds the CLI choices, `inr list calibrators` and the tests). Every calibrator returns a range inside
// the observed [min, max] (ORT clamps its histogram thresholds the same way); the quantizer then widens it
// to contain 0 and derives scale / zero point.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "quant/observer.h"

namespace inr::quant {

// Knobs of every calibrator, with the defaults of the tools each algorithm is taken from.
struct CalibKnobs {
  int bins = 2048;                 // histogram bins (ORT HistogramCalibrater num_bins default 2048)
  double percentile = 99.999;      // ORT PercentileCalibrater default
  int entropy_quantized_bins = 128;  // ORT EntropyCalibrater num_quantized_bins default
  int levels = 256;                // quantization levels of the target type (255 steps for 8 bits)
  bool symmetric = false;          // the activation type is symmetric (s8 with --symmetric-act)
  double tfe_gamma = 3.0;          // AIMET SqnrEncodingAnalyzer: weight of clipping noise
  int tfe_delta_candidates = 17;   // AIMET: asymmetric_delta_candidates
  int tfe_offset_candidates = 21;  // AIMET: offset_candidates
  double l2_stepsize = 1e-5;       // Caffe2 / PyTorch HistogramObserver greedy search step (in CDF mass)
};

class Calibrator {
 public:
  virtual ~Calibrator() = default;
  virtual std::string_view name() const = 0;
  virtual bool needs_histogram() const = 0;
  // Range for one tensor. `obs.minmax` is never empty when called.
  virtual Range compute_range(const Observer& obs) const = 0;
};

struct CalibratorInfo {
  std::string_view name;
  std::string_view description;  // one line, with the source
  std::unique_ptr<Calibrator> (*make)(const CalibKnobs&);
};

// The table built from calibrators.def.
std::span<const CalibratorInfo> calibrators();
Result<std::unique_ptr<Calibrator>> make_calibrator(std::string_view name, const CalibKnobs& knobs);
// "minmax, percentile, entropy, l2, tf-enhanced"
std::string calibrator_names();

// Shared helpers (calibrator.cc).
// Clamps [r.lo, r.hi] into the observed [min, max] and orders it.
Range clamp_to_observed(Range r, const MinMax& mm);
// Expected squared error of quantizing the histogram's mass (uniform density inside each bin) onto
// `levels` evenly spaced levels from lo to hi, values outside clamping to the end levels (calib/l2.cc).
double histogram_l2_error(const HistView& h, double lo, double hi, int levels);

// The per-calibrator entry points (one per file, named in calibrators.def).
#define INR_CALIBRATOR(name, id, description) std::unique_ptr<Calibrator> make_##id##_calibrator(const CalibKnobs&);
#include "quant/calibrators.def"
#undef INR_CALIBRATOR

}  // namespace inr::quant
