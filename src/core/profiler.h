// Profiler: collects Chrome Trace Event "complete" events (ph "X") for `-t trace.json`.
// Events nest by time on one thread (pid 1, tid 1), which Perfetto and chrome://tracing show as a
// flame chart: session phases > each run > each node > kernel phases (im2col, gemm, requantise...).
// Cost when disabled: callers hold a Profiler* that is null, so nothing is recorded or timed.
// Not thread-safe: record from the thread that runs the session.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "inr/status.h"

namespace inr {

class Profiler {
 public:
  struct Event {
    std::string name;
    std::string cat;   // "session", "run", "node", "phase"
    // Start (since the profiler was created) and duration in microseconds, with the steady clock's
    // nanosecond resolution: whole microseconds made the 0-1 us nodes (Reshape, Flatten) start on the same
    // tick as the next node, which then looked like it contained them (runtime/trace_summary.h nests by time).
    double ts_us = 0;
    double dur_us = 0;
    std::string args_json;  // a JSON object ("{...}") or empty
  };

  Profiler();
  double now_us() const;
  void add(Event e) { events_.push_back(std::move(e)); }
  const std::vector<Event>& events() const { return events_; }
  // Writes {"traceEvents": [...], "displayTimeUnit": "ms"} atomically.
  Status write_chrome_trace(const std::string& path) const;

 private:
  std::chrono::steady_clock::time_point origin_;
  std::vector<Event> events_;
};

// Records one event from construction to destruction when `profiler` is non-null.
class ScopedEvent {
 public:
  // Takes views so that a disabled profiler costs no string copies (steady-state runs allocate nothing).
  ScopedEvent(Profiler* profiler, std::string_view name, std::string_view cat, std::string args_json = {})
      : profiler_(profiler) {
    if (profiler_) {
      event_.name = std::string(name);
      event_.cat = std::string(cat);
      event_.args_json = std::move(args_json);
      event_.ts_us = profiler_->now_us();
    }
  }
  ~ScopedEvent() {
    if (profiler_) {
      event_.dur_us = profiler_->now_us() - event_.ts_us;
      profiler_->add(std::move(event_));
    }
  }
  ScopedEvent(const ScopedEvent&) = delete;
  ScopedEvent& operator=(const ScopedEvent&) = delete;

 private:
  Profiler* profiler_;
  Profiler::Event event_;
};

}  // namespace inr
