// minmax: the observed minimum and maximum, as ORT's MinMaxCalibrater (onnxruntime/python/tools/
// quantization/calibrate.py) with its default moving-average off.
#include "quant/calibrator.h"

namespace inr::quant {

namespace {

class MinMaxCalibrator final : public Calibrator {
 public:
  std::string_view name() const override { return "minmax"; }
  bool needs_histogram() const override { return false; }
  Range compute_range(const Observer& obs) const override { return obs.minmax.range(); }
};

}  // namespace

std::unique_ptr<Calibrator> make_minmax_calibrator(const CalibKnobs&) { return std::make_unique<MinMaxCalibrator>(); }

}  // namespace inr::quant
