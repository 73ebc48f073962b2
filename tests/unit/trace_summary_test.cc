// runtime/trace_summary.h on events recorded by a Profiler: what `inr bench --per-op` reads.
#include "runtime/trace_summary.h"

#include <gtest/gtest.h>

#include "core/profiler.h"

namespace inr {
namespace {

void spin_us(const Profiler& p, double us) {
  const double t0 = p.now_us();
  while (p.now_us() - t0 < us) {
  }
}

// Back-to-back nodes, every other one (a Reshape, say) taking no measurable time. With whole-microsecond
// timestamps the empty node started on the same tick as the next one and looked nested inside it, so
// it vanished from the tables; nanosecond timestamps keep every node at the top level.
TEST(TraceSummary, InstantNodesAreNotNestedInTheirNeighbours) {
  constexpr int kPairs = 500;
  Profiler p;
  {
    ScopedEvent run(&p, "run", "run");
    for (int i = 0; i < kPairs; ++i) {
      { ScopedEvent empty(&p, "reshape", "node", R"({"op_type": "Reshape", "backend": "onednn", "macs": 0})"); }
      {
        ScopedEvent conv(&p, "conv", "node", R"({"op_type": "Conv", "backend": "onednn", "macs": 1000})");
        ScopedEvent phase(&p, "reorder", "phase");
        spin_us(p, 2);
      }
    }
  }
  TraceSummary s = summarize_trace(trace_events(p));
  EXPECT_EQ(s.by_cat["node"].count, 2 * kPairs);
  EXPECT_EQ(s.by_node["reshape"].count, kPairs);
  EXPECT_EQ(s.by_node["conv"].count, kPairs);
  EXPECT_EQ(s.by_op_type["Conv"].macs, 1000 * kPairs);
  EXPECT_EQ(s.by_op_type["Reshape"].backend, "onednn");
  EXPECT_EQ(s.by_phase["reorder"].count, kPairs);  // nested phases stay out of the node totals
  EXPECT_DOUBLE_EQ(s.node_us, s.by_node["reshape"].total_us + s.by_node["conv"].total_us);
  EXPECT_LE(s.node_us, s.by_cat["run"].total_us);
  EXPECT_GE(s.by_node["conv"].total_us, 2.0 * kPairs);
}

TEST(TraceSummary, GflopsFromMacs) {
  EXPECT_DOUBLE_EQ(gflops(1'000'000, 1000), 2.0);  // 2 MFLOP in 1 ms
  EXPECT_EQ(gflops(0, 1000), 0);
  EXPECT_EQ(gflops(1000, 0), 0);
}

}  // namespace
}  // namespace inr
