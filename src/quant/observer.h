// Streaming activation statistics for calibration: a running min/max and a mergeable histogram.
//
// Contract:
//  - MinMax and Histogram ignore NaN and +-inf (they are counted in `skipped`), so one bad value cannot
//    blow a range up.
//  - Histogram has a fixed number of bins (a power of two) spread evenly over [-bound, bound], where
//    `bound` is always a power of two (2^e). When a value falls outside, the bound doubles as often as
//    needed and every pair of neighbouring bins merges into one, which is exact: with a power-of-two bin
//    width w the bin of x is floor(x / w) + bins/2 computed without rounding, and floor(x / 2w) =
//    floor(floor(x / w) / 2). So observing A then B, observing B then A, and merging an observer of A with
//    an observer of B all give the same counts, bit for bit, and memory stays `bins` doubles per tensor no
//    matter how many images are observed.
//  - The price of the power-of-two bound is resolution: the data's max |x| can sit anywhere in
//    (bound/2, bound], so between bins/4 and bins/2 bins cover each sign's data (ORT's HistogramCollector
//    uses exactly bins/2 per sign, with inexact re-binning when the range grows).
//  - Zeros seen before any non-zero value do not set a bound (bound() stays 0, the zeros are counted in
//    bin bins/2, which holds [0, width) at every bound), so order independence holds for them too.
//  - The counts are whole numbers held in doubles (exact up to 2^53 values per tensor), so adding shards'
//    counts in any order is exact: distributed calibration (observer_io.h) merges per-shard observers
//    into exactly the observer one process would have built.
//  - Not thread-safe; use one observer per thread and merge.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "inr/status.h"

namespace inr::quant {

struct Range {
  float lo = 0.f;
  float hi = 0.f;
};

class MinMax {
 public:
  void observe(std::span<const float> values);
  void merge(const MinMax& other);
  bool empty() const { return count_ == 0; }
  float lo() const { return lo_; }
  float hi() const { return hi_; }
  Range range() const { return {lo_, hi_}; }
  uint64_t count() const { return count_; }
  uint64_t skipped() const { return skipped_; }

 private:
  friend class ObserverCodec;  // observer_io.cc: files of observers
  float lo_ = 0.f, hi_ = 0.f;
  uint64_t count_ = 0, skipped_ = 0;
};

class Histogram {
 public:
  // `bins` must be a power of two >= 2 (checked by validate_bins; the constructor assumes it).
  explicit Histogram(int bins = 2048);
  static Status validate_bins(int bins);

  void observe(std::span<const float> values);
  // Adds `other`'s counts; both must have the same number of bins.
  Status merge(const Histogram& other);

  int bins() const { return static_cast<int>(counts_.size()); }
  bool empty() const { return total_ == 0; }
  // Current bound: bins cover [-bound, bound]. 0 before the first finite value; 1 while only zeros were
  // seen (they sit in bin bins/2 at every bound, see observe), which is what the views and calibrators use.
  float bound() const { return bound_ != 0.f ? bound_ : total_ > 0 ? 1.f : 0.f; }
  float bin_width() const { return bound() * 2.f / static_cast<float>(bins()); }
  float edge(int i) const { return -bound() + bin_width() * static_cast<float>(i); }  // left edge of bin i
  const std::vector<double>& counts() const { return counts_; }
  double total() const { return total_; }

 private:
  friend class ObserverCodec;  // observer_io.cc: files of observers
  void grow_to(float bound);  // doubles until bound_ >= bound
  std::vector<double> counts_;
  float bound_ = 0.f;
  int exp_ = 0;  // bound_ == 2^exp_ once non-zero
  double total_ = 0;
};

// What calibration collects for one tensor.
struct Observer {
  explicit Observer(int bins = 2048, bool histogram = true) : hist(bins), use_histogram(histogram) {}
  MinMax minmax;
  Histogram hist;
  bool use_histogram = true;
  void observe(std::span<const float> values) {
    minmax.observe(values);
    if (use_histogram) hist.observe(values);
  }
  Status merge(const Observer& other) {
    minmax.merge(other.minmax);
    return use_histogram ? hist.merge(other.hist) : Status::ok();
  }
};

// A contiguous slice of a histogram as plain numbers: counts[i] covers [lo + i*width, lo + (i+1)*width).
// The calibrators work on this so they can be tested with hand-made histograms.
struct HistView {
  std::vector<double> counts;
  double lo = 0, width = 1;
  double edge(size_t i) const { return lo + width * static_cast<double>(i); }
  double hi() const { return edge(counts.size()); }
};

// The bins of `h` that overlap [mm.lo, mm.hi] (at least one bin).
HistView trimmed_view(const Histogram& h, const MinMax& mm);
// The bins of `h` over [-b, b] where b is the smallest bin edge >= max(|lo|, |hi|): the symmetric
// histogram ORT's entropy method works on.
HistView symmetric_view(const Histogram& h, const MinMax& mm);

}  // namespace inr::quant
