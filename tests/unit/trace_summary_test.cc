// runtime/trace_summary.h on events recorded by a Profiler: what `inr bench --per-op` reads.
#include "runtime/trace_summary.h"

#include <gtest/gtest.h>

#include "core/file.h"
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

// The emulated Gemmini's node args (-x 1 / -x 2) carry the cycle model's numbers: the tables sum them by op
// type and node, the utilisation is the cycle-weighted mean, and the events of the simulated-time track
// (another pid, category "simulated", placed back to back from 0) neither count as nodes nor stretch the span.
TEST(TraceSummary, SumsSimulatedCyclesAndKeepsTheSimulatedTrackApart) {
  Profiler p;
  const std::string dir = ::testing::TempDir();
  {
    ScopedEvent run(&p, "run", "run");
    const char* conv_args[2] = {
        R"({"op_type": "QLinearConv", "backend": "systolic-ws", "macs": 4096, "cycles": 1000, "simulated_us": 1.0, "dma_in_bytes": 300, "dma_out_bytes": 20, "utilization": 0.5})",
        R"({"op_type": "QLinearConv", "backend": "systolic-ws", "macs": 1024, "cycles": 3000, "simulated_us": 3.0, "dma_in_bytes": 100, "dma_out_bytes": 40, "utilization": 0.25})"};
    for (int i = 0; i < 2; ++i) {
      { ScopedEvent conv(&p, i == 0 ? "conv_a" : "conv_b", "node", conv_args[i]); spin_us(p, 1); }
      Profiler::Event sim;
      sim.name = i == 0 ? "conv_a" : "conv_b";
      sim.cat = "simulated";
      sim.dur_us = i == 0 ? 1.0e6 : 3.0e6;  // long enough to stretch the span if it were counted
      sim.args_json = conv_args[i];
      EXPECT_DOUBLE_EQ(p.add_on_track(2, "gemmini", sim), i == 0 ? 0.0 : 1.0e6);
    }
    { ScopedEvent add(&p, "add", "node", R"({"op_type": "Add", "backend": "onednn", "macs": 0})"); }
  }
  EXPECT_DOUBLE_EQ(p.track_cursor_us(2), 4.0e6);
  EXPECT_DOUBLE_EQ(p.track_cursor_us(3), 0.0);
  // The same summary from memory and from the written trace (which keeps pid 2 and names the track).
  const std::string path = dir + "/sim_trace.json";
  ASSERT_TRUE(p.write_chrome_trace(path).is_ok());
  auto loaded = load_chrome_trace(path);
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
  for (TraceSummary s : {summarize_trace(trace_events(p)), summarize_trace(std::move(*loaded))}) {
    EXPECT_EQ(s.by_cat["node"].count, 3);
    EXPECT_EQ(s.by_cat["simulated"].count, 2);
    EXPECT_EQ(s.by_node.count("conv_a"), 1u);
    EXPECT_EQ(s.by_node["conv_a"].count, 1);  // the simulated twin is not a node
    const TimeBucket& conv = s.by_op_type["QLinearConv"];
    EXPECT_EQ(conv.cycles, 4000);
    EXPECT_EQ(conv.dma_in_bytes, 400);
    EXPECT_EQ(conv.dma_out_bytes, 60);
    EXPECT_DOUBLE_EQ(conv.simulated_us, 4.0);
    EXPECT_DOUBLE_EQ(conv.utilization(), (0.5 * 1000 + 0.25 * 3000) / 4000);
    EXPECT_EQ(s.by_op_type["Add"].cycles, 0);
    EXPECT_EQ(s.simulated.cycles, 4000);
    EXPECT_EQ(s.simulated.count, 2);
    EXPECT_LT(s.t1_us - s.t0_us, 1.0e6);  // the wall-clock span only
    auto order = by_cycles(s.by_node);
    ASSERT_EQ(order.size(), 3u);
    EXPECT_EQ(order[0].first, "conv_b");
    EXPECT_EQ(order[1].first, "conv_a");
  }
  auto text = read_file(path);
  ASSERT_TRUE(text.is_ok());
  EXPECT_NE(text->find(R"("name": "process_name", "ph": "M", "pid": 2, "tid": 1, "args": {"name": "gemmini"})"),
            std::string::npos);
}

TEST(TraceSummary, GflopsFromMacs) {
  EXPECT_DOUBLE_EQ(gflops(1'000'000, 1000), 2.0);  // 2 MFLOP in 1 ms
  EXPECT_EQ(gflops(0, 1000), 0);
  EXPECT_EQ(gflops(1000, 0), 0);
}

}  // namespace
}  // namespace inr
