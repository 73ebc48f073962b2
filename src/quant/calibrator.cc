// The calibrator table (from calibrators.def) and shared helpers.
#include "quant/calibrator.h"

#include <algorithm>
#include <vector>

namespace inr::quant {

std::span<const CalibratorInfo> calibrators() {
  static const CalibratorInfo kTable[] = {
#define INR_CALIBRATOR(name, id, description) {name, description, &make_##id##_calibrator},
#include "quant/calibrators.def"
#undef INR_CALIBRATOR
  };
  return kTable;
}

std::string calibrator_names() {
  std::string s;
  for (const auto& c : calibrators()) s += (s.empty() ? "" : ", ") + std::string(c.name);
  return s;
}

Result<std::unique_ptr<Calibrator>> make_calibrator(std::string_view name, const CalibKnobs& knobs) {
  for (const auto& c : calibrators())
    if (c.name == name) return c.make(knobs);
  return error("unknown calibrator '{}' (expected one of: {})", name, calibrator_names());
}

Range clamp_to_observed(Range r, const MinMax& mm) {
  if (r.lo > r.hi) std::swap(r.lo, r.hi);
  r.lo = std::clamp(r.lo, mm.lo(), mm.hi());
  r.hi = std::clamp(r.hi, mm.lo(), mm.hi());
  return r;
}

}  // namespace inr::quant
