// Profiler: collects Chrome Trace Event "complete" events (ph "X") for `-t trace.json`.
// Events nest by time on one thread (pid 1, tid 1), which Perfetto and chrome://tracing show as a
// flame chart: session phases > each run > each node > kernel phases (im2col, gemm, requantise...).
// Other tracks (another pid) hold events on a timeline of their own, placed back to back from 0: the
// emulated Gemmini puts its nodes there in simulated time (cycles / clock), next to the wall-clock track.
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
    int64_t pid = 1, tid = 1;  // the track (1, 1: the wall-clock thread)
  };

  Profiler();
  double now_us() const;
  void add(Event e) { events_.push_back(std::move(e)); }
  // Appends `e` (its dur_us set, ts_us ignored) to track `pid` (>= 2), named `track_name` in the trace, at
  // that track's cursor, which then moves past it: the track's events follow each other without gaps.
  // Returns the start it was given.
  double add_on_track(int64_t pid, std::string_view track_name, Event e);
  // The end of track `pid`'s last event (0 before any).
  double track_cursor_us(int64_t pid) const;
  const std::vector<Event>& events() const { return events_; }
  // Writes {"traceEvents": [...], "displayTimeUnit": "ms"} atomically.
  Status write_chrome_trace(const std::string& path) const;
  // For other trace writers: the "process_name" metadata events of the tracks, each preceded by ",\n"
  // (empty when there is only the wall-clock track).
  std::string track_metadata_json() const;

 private:
  std::chrono::steady_clock::time_point origin_;
  std::vector<Event> events_;
  struct Track {
    int64_t pid;
    std::string name;
    double cursor_us;
  };
  std::vector<Track> tracks_;
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
