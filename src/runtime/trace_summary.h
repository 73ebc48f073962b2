// Where the time of a trace went: the events of a Profiler (in memory) or of a Chrome trace file written by
// `-t`, grouped by node, op type, backend and phase, with the multiply-accumulates of the nodes that have
// them. Shared by `inr profile` (a trace file) and `inr bench --per-op` (a Profiler per batch size).
//
// Counting rule: totals are the sums of the top-level "node" events (complete events, ph "X"). Events nested
// inside a node on the same thread (kernel "phase" events such as reorder, or a node event inside another
// node event) are never added to the totals; phases get their own table so their time is visible without
// being counted twice.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/profiler.h"
#include "inr/status.h"

namespace inr {

struct TraceEvent {
  std::string name, cat, op_type, backend;  // op_type and backend: from the event's args (node events)
  double ts_us = 0, dur_us = 0;
  int64_t pid = 1, tid = 1;
  int64_t macs = 0;             // the node's multiply-accumulates (args "macs"); 0 for other events
  // The emulated Gemmini's cycle model (node args of -x 1 / -x 2 runs; 0 for other events): simulated cycles,
  // simulated microseconds at the config's clock, DMA bytes, and utilisation * cycles (busy PE-array cycles,
  // so that a bucket's utilisation is its cycle-weighted mean).
  int64_t cycles = 0, dma_in_bytes = 0, dma_out_bytes = 0;
  double simulated_us = 0, busy_cycles = 0;
  bool nested_in_node = false;  // set by summarize_trace
};

// The complete events of a Chrome trace ({"traceEvents": [...]} or a bare array); other phases are skipped.
// Errors name `path`: unreadable, not JSON, not a trace, an event without numeric ts/dur.
Result<std::vector<TraceEvent>> load_chrome_trace(const std::string& path);
// The events a Profiler recorded (one thread: pid 1, tid 1).
std::vector<TraceEvent> trace_events(const Profiler& profiler);

struct TimeBucket {
  int64_t count = 0;     // events
  double total_us = 0;   // their summed durations
  int64_t macs = 0;      // their summed MACs
  int64_t cycles = 0, dma_in_bytes = 0, dma_out_bytes = 0;  // their summed simulated cycles and DMA bytes
  double simulated_us = 0, busy_cycles = 0;
  double utilization() const { return cycles > 0 ? busy_cycles / static_cast<double>(cycles) : 0; }
  std::string op_type, backend;  // of the bucket's first event (meaningful in by_node)
};

struct TraceSummary {
  size_t events = 0;
  double t0_us = 0, t1_us = 0;  // first start, last end
  double node_us = 0;           // top-level node time (the 100% of every share)
  TimeBucket simulated;         // the summed cycle-model numbers of every top-level node (zero without any)
  // Keys: op type (the event name when it has none), backend ("?" when none), node name, phase name, and
  // category (every event, nested or not: "run", "node", "batch", "decode", ...). Events of category
// "simulated" (the emulated Gemmini's second track, placed in simulated time) count only in by_cat and not
// in the span.
  std::map<std::string, TimeBucket> by_op_type, by_backend, by_node, by_phase, by_cat;
};

TraceSummary summarize_trace(std::vector<TraceEvent> events);

// A table's rows by simulated cycles, largest first (ties by total time, then name).
std::vector<std::pair<std::string, TimeBucket>> by_cycles(const std::map<std::string, TimeBucket>& table);

// A table's rows by total time, largest first (ties by name).
std::vector<std::pair<std::string, TimeBucket>> by_time(const std::map<std::string, TimeBucket>& table);

// Achieved GFLOP/s of `macs` multiply-accumulates (2 flops each) done in `us` microseconds; 0 when either is 0.
double gflops(int64_t macs, double us);

}  // namespace inr
