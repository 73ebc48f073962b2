// Streaming min/max and the power-of-two histogram (see observer.h for why the bound is a power of two:
// it makes growing and merging exact).
#include "quant/observer.h"

#include <algorithm>
#include <cmath>

namespace inr::quant {

void MinMax::observe(std::span<const float> values) {
  float lo = lo_, hi = hi_;
  uint64_t n = 0, bad = 0;
  if (count_ == 0) {
    lo = std::numeric_limits<float>::infinity();
    hi = -lo;
  }
  for (float v : values) {
    if (!std::isfinite(v)) {
      ++bad;
      continue;
    }
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    ++n;
  }
  skipped_ += bad;
  if (n == 0) return;
  lo_ = lo;
  hi_ = hi;
  count_ += n;
}

void MinMax::merge(const MinMax& other) {
  skipped_ += other.skipped_;
  if (other.count_ == 0) return;
  if (count_ == 0) {
    lo_ = other.lo_;
    hi_ = other.hi_;
  } else {
    lo_ = std::min(lo_, other.lo_);
    hi_ = std::max(hi_, other.hi_);
  }
  count_ += other.count_;
}

Histogram::Histogram(int bins) : counts_(static_cast<size_t>(std::max(bins, 2)), 0.0) {}

Status Histogram::validate_bins(int bins) {
  if (bins < 2 || (bins & (bins - 1)) != 0)
    return error("histogram bins must be a power of two >= 2 (got {}): growing the range merges bin pairs", bins);
  return Status::ok();
}

void Histogram::grow_to(float bound) {
  if (bound_ == 0.f) {
    // First finite non-zero magnitude: smallest power of two >= bound. frexp gives bound = m * 2^e,
    // m in [0.5, 1), so 2^e >= bound; 2^(e-1) suffices when m == 0.5 exactly.
    int e = 0;
    float m = std::frexp(bound, &e);
    if (m == 0.5f) --e;
    exp_ = e;
    bound_ = std::ldexp(1.f, exp_);
    return;
  }
  const int n = bins(), half = n / 2;
  while (bound_ < bound) {
    // New bin j covers old bins 2j - half and 2j - half + 1 (clamped to the old range).
    std::vector<double> next(counts_.size(), 0.0);
    for (int i = 0; i < n; ++i) next[static_cast<size_t>((i + half) / 2)] += counts_[static_cast<size_t>(i)];
    counts_.swap(next);
    ++exp_;
    bound_ = std::ldexp(1.f, exp_);
  }
}

void Histogram::observe(std::span<const float> values) {
  float absmax = 0.f;
  bool any = false;
  for (float v : values)
    if (std::isfinite(v)) {
      absmax = std::max(absmax, std::fabs(v));
      any = true;
    }
  if (!any) return;
  const int n = bins(), half = n / 2;
  if (absmax == 0.f && bound_ == 0.f) {
    // Zeros alone give no scale. They land in bin `half` ([0, width)) at every bound, and growing keeps
    // bin `half` in place ((half + half) / 2), so count them there and leave the bound unset: the first
    // non-zero value sets it exactly as if the zeros had not come first. (Setting a bound here, say 1.0,
    // would make the result depend on whether a batch of zeros comes before or after the data, and so
    // on how the images are split into shards.)
    for (float v : values)
      if (std::isfinite(v)) counts_[static_cast<size_t>(half)] += 1.0, total_ += 1.0;
    return;
  }
  if (absmax > 0.f) grow_to(absmax);
  // bin width = 2^(exp_ + 1) / bins: a power of two, so the scaling is exact.
  const float inv_width = std::ldexp(static_cast<float>(n), -(exp_ + 1));
  uint64_t added = 0;
  for (float v : values) {
    if (!std::isfinite(v)) continue;
    int64_t idx = static_cast<int64_t>(std::floor(v * inv_width)) + half;
    idx = std::clamp<int64_t>(idx, 0, n - 1);  // v == bound lands in the last bin
    counts_[static_cast<size_t>(idx)] += 1.0;
    ++added;
  }
  total_ += static_cast<double>(added);
}

Status Histogram::merge(const Histogram& other) {
  if (other.bins() != bins()) return error("cannot merge histograms of {} and {} bins", bins(), other.bins());
  if (other.empty()) return Status::ok();
  Histogram o = other;
  // A histogram without a bound holds only zeros, in bin `half` (see observe): it adopts the other's bound
  // as it is, with no re-binning.
  if (bound_ == 0.f) {
    exp_ = o.exp_;
    bound_ = o.bound_;
  } else if (o.bound_ != 0.f) {
    if (o.bound_ < bound_) o.grow_to(bound_);
    if (bound_ < o.bound_) grow_to(o.bound_);
  }
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
  total_ += o.total_;
  return Status::ok();
}

namespace {

HistView slice(const Histogram& h, int first, int last) {  // bins [first, last]
  HistView v;
  v.width = h.bin_width();
  v.lo = h.edge(first);
  v.counts.assign(h.counts().begin() + first, h.counts().begin() + last + 1);
  return v;
}

int bin_of(const Histogram& h, float x) {
  int n = h.bins();
  int64_t idx = static_cast<int64_t>(std::floor(static_cast<double>(x) / h.bin_width())) + n / 2;
  return static_cast<int>(std::clamp<int64_t>(idx, 0, n - 1));
}

}  // namespace

HistView trimmed_view(const Histogram& h, const MinMax& mm) {
  if (h.bound() == 0.f || mm.empty()) {
    HistView v;
    v.counts = {0.0};
    return v;
  }
  return slice(h, bin_of(h, mm.lo()), bin_of(h, mm.hi()));
}

HistView symmetric_view(const Histogram& h, const MinMax& mm) {
  if (h.bound() == 0.f || mm.empty()) {
    HistView v;
    v.counts = {0.0, 0.0};
    v.lo = -1;
    return v;
  }
  double absmax = std::max(std::fabs(mm.lo()), std::fabs(mm.hi()));
  int half = h.bins() / 2;
  // The bin holding absmax itself: a value on a bin edge belongs to the bin to its right.
  int k = static_cast<int>(std::floor(absmax / h.bin_width())) + 1;
  k = std::clamp(k, 1, half);
  return slice(h, half - k, half + k - 1);
}

}  // namespace inr::quant
