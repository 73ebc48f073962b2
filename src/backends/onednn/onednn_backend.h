// The oneDNN fp32 CPU backend: introspection that tests and benchmarks use to check what a compiled
// partition does (the backend itself is created with make_onednn_backend(), declared in backend.h).
#pragma once

#include <string>
#include <vector>

#include "backends/backend.h"

namespace inr {

// What one compiled oneDNN partition executes per run. Filled at compile time; reading it costs nothing
// at run time.
struct OnednnExecutableStats {
  int primitives = 0;  // compute primitives per run (reorders excluded)
  int reorders = 0;    // reorder primitives per run (layout changes and copies into/out of slots)
  std::vector<std::string> reorder_labels;  // one per reorder: "node conv2: input x (nChw16c <- plain)"
  std::vector<std::string> impls;           // one per compute primitive: "conv1: brg:avx512_core"
  std::vector<std::string> serial;          // labels of the steps that run on the calling thread alone
  size_t arena_bytes = 0;                    // planned internal activations (blocked layouts included)
  size_t scratchpad_bytes = 0;               // the one scratchpad shared by all primitives
  size_t weight_bytes = 0;                   // reordered weights and biases
};

// Caps oneDNN's ISA at the process's CPU tier (core/cpu_tier.h) before its first primitive; a no-op when the
// tier is not capped and after the first call. make_onednn_backend() calls it.
void onednn_apply_cpu_tier();

// Stats of an Executable made by the oneDNN backend; empty stats for any other executable.
OnednnExecutableStats onednn_executable_stats(const Executable& exe);

}  // namespace inr
