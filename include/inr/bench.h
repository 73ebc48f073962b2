// Latency and throughput of a model on seeded random inputs, as a library call: what `inr bench` does (the
// CLI parses flags, calls benchmark() and prints), and what the Python module can call.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "inr/session.h"
#include "inr/status.h"

namespace inr {

struct BenchOptions {
  std::string model;
  SessionOptions session;  // its profiler, if any, records the timed runs (a trace)
  std::vector<int64_t> batches{1};
  int runs = 50;           // timed runs per batch size
  int warmup = 5;          // untimed runs first
  double duration = 0;     // run for at least this many seconds per batch (after `runs`)
  bool per_op = false;     // `runs` more profiled runs per batch: per-node and per-op-type tables
  uint32_t seed = 1;       // random inputs
  std::vector<std::string> defaults;  // the settings the user left at their defaults (recorded in "config")
  // Called once the model is loaded and every batch's shapes are known, before any run, with the
  // "model" and "config" objects of the result; and after each batch size with its result object.
  std::function<void(const nlohmann::json& model, const nlohmann::json& config)> on_config;
  std::function<void(const nlohmann::json& result)> on_result;
};

// The whole measurement (schema inr.bench): provenance, "model", "config", "versions", "results" (one per
// batch: runs, mean/stddev/min/p50/p90/p95/p99/p99.9/max ms by nearest rank, wall_s,
// images_per_s_measured, images_per_s (from p50), arena_bytes, peak_rss_mib, placement, kernels, and
// per_op when asked; with -x 1 / -x 2 also the emulated Gemmini's cycles (per image), utilization, fps at
// clock_hz, accelerator_nodes, accelerator_macs and dma_bytes per image), "peak_rss_mib".
Result<nlohmann::json> benchmark(const BenchOptions& options);

}  // namespace inr
