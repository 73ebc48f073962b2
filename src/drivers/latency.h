// Timing pieces shared by inr::benchmark and compare: seeded random inputs (speed does not depend on the
// values) and a round-robin latency measurement of several sessions.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/stats.h"
#include "inr/session.h"

namespace inr {

// A tensor of `info.dtype` and `shape`: f32 ~ N(0, 1), u8/i8 uniform over all 256 bit patterns, other
// dtypes zero. The same seed gives the same tensor.
Tensor random_input(const IoInfo& info, const Shape& shape, uint32_t seed);

struct LatencyStats {
  int64_t batch = 0;
  int runs = 0;       // timed runs (one per round)
  SampleStats stats;  // of the timed runs, ms (nearest-rank percentiles: core/stats.h)
};

// Times every session on the same batch, alternating between them: `warmup` untimed rounds, then `rounds`
// rounds of one timed run_into per session in order (A, B, C, A, B, C, ...), so a slow phase of a shared
// machine lands on every model alike instead of on whichever ran during it. Each session gets its own
// seeded random input of its input's dtype, with the leading dim set to `batch`; the first run of each
// (graph specialisation, output allocation) is never timed. Runs on the calling thread.
Result<std::vector<LatencyStats>> round_robin_latency(std::span<Session* const> sessions, int64_t batch, int rounds,
                                                      int warmup, uint32_t seed);

}  // namespace inr
