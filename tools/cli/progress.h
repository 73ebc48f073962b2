// A progress line on stderr for long work (eval, classify, compare, calibration): bar, count, rate and ETA,
// redrawn at most every 100 ms; only on a terminal (quiet when piped).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

namespace inr::cli {

// "1.5 s", "2:03", "1:02:03".
std::string format_duration(double seconds);

class ProgressBar {
 public:
  using Clock = std::chrono::steady_clock;
  explicit ProgressBar(bool enabled, std::string unit = "img") : enabled_(enabled), unit_(std::move(unit)), start_(Clock::now()) {}
  // (done, total); the bar ends its line when done == total.
  void update(size_t done, size_t total) {
    total_ = total;
    const bool final = done == total;
    if (!enabled_) return;
    auto now = Clock::now();
    if (!final && now - last_ < std::chrono::milliseconds(kRefreshMs)) return;
    last_ = now;
    double elapsed = std::chrono::duration<double>(now - start_).count();
    double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
    double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : 0.0;
    constexpr int kWidth = 30;
    int filled = total_ ? static_cast<int>(kWidth * done / total_) : kWidth;
    std::string bar(static_cast<size_t>(filled), '=');
    if (filled < kWidth) bar += '>';
    bar.resize(kWidth, ' ');
    std::fprintf(stderr, "\r[%s] %zu/%zu  %.1f %s/s  ETA %s   ", bar.c_str(), done, total_, rate, unit_.c_str(),
                 format_duration(eta).c_str());
    if (final) std::fputc('\n', stderr);
    std::fflush(stderr);
  }

 private:
  static constexpr int kRefreshMs = 100;
  bool enabled_;
  std::string unit_;
  size_t total_ = 0;
  Clock::time_point start_, last_{};
};

// The progress callback of the library's drivers (done, total): a ProgressBar when `enabled` (stderr is a
// terminal), else empty (no progress at all).
inline std::function<void(size_t, size_t)> progress_callback(bool enabled) {
  if (!enabled) return {};
  auto bar = std::make_shared<ProgressBar>(true);
  return [bar](size_t done, size_t total) { bar->update(done, total); };
}

}  // namespace inr::cli
