// `inr loadgen`: MLPerf-Inference-style load scenarios, written from the public rules (mlcommons/inference
// loadgen/README and test_settings.h; no LoadGen code). The results are "LoadGen-style", not MLPerf results.
//
// A query carries `samples_per_query` samples of seeded random input (speed does not depend on values),
// drawn round-robin from `sample_count` pre-built samples. The system under test is either a local
// Session (`model`) or an `inr serve`/Triton/KServe v2 endpoint (`url`: http://host:port/v2/models/NAME
// [/versions/V]; requests use the binary tensor extension and ask for the top-5 classification, one keep-alive
// connection per concurrent query).
//  - SingleStream: one single-sample query at a time, the next issued when the last completes, for at least
//    min_duration_s and min_queries. Metric: the 90th percentile latency (nearest rank).
//  - Offline: all `offline_samples` samples issued at once (as queries of `batch` samples, `concurrency` in
//    flight). Metric: samples per second over the whole run.
//  - Server: single-sample queries arriving as a Poisson process at `target_qps` (seeded exponential gaps),
//    served by up to `concurrency` in flight; a query's latency runs from its scheduled arrival, so a system
//    that falls behind is charged for the wait (no coordinated omission). Metric: achieved QPS; the run is
//    VALID when the 99th percentile latency is within latency_bound_ms.
// For SingleStream a latency_bound_ms > 0 is checked against p90.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "inr/session.h"
#include "inr/status.h"

namespace inr {

// Upper bounds of a run: queries scheduled (min_queries, offline_samples, and Server's target_qps x
// min_duration_s; each costs 16+ bytes of schedule and latency record, so 10^7 is about 200 MB) and the Server
// target QPS (10^6 is far above what one machine serves). --qps 1e300 built an arrival schedule that never
// reached the duration: a hang that grew by GBs.
inline constexpr int64_t kMaxLoadgenQueries = 10'000'000;
inline constexpr double kMaxLoadgenQps = 1e6;

struct LoadgenOptions {
  std::string scenario = "SingleStream";  // SingleStream | Offline | Server
  std::string model;                      // local system under test, or:
  std::string url;                        // a server's model endpoint
  SessionOptions session;
  double min_duration_s = 10;
  int64_t min_queries = 100;
  int64_t offline_samples = 1024;
  int batch = 16;          // Offline: samples per query (the batch a query runs at)
  double target_qps = 10;  // Server
  double latency_bound_ms = 0;  // Server: p99 bound (required); SingleStream: p90 bound when > 0
  int concurrency = 16;    // Offline and Server: queries in flight at most (threads / connections)
  int sample_count = 8;    // distinct samples (MLPerf's performance_sample_count, scaled down)
  uint64_t seed = 2085463073848966840ULL;  // MLPerf's ResNet50 qsl seed, for the sample order and arrivals
};

// schema inr.loadgen: provenance, "system" (model or url), "settings", "result": {"scenario", "queries",
// "samples", "duration_s", "qps" (queries/s; SingleStream and Server), "samples_per_s", "latency_ms"
// {mean, min, p50, p90, p95, p99, p99.9, max}, "bound_ms", "percentile", "bound_held", "valid"}.
Result<nlohmann::json> loadgen(const LoadgenOptions& options);

}  // namespace inr
