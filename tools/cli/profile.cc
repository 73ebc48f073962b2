// `inr profile TRACE.json [--top N] [--json]`
//
// Reads a Chrome trace written by `-t` (classify, bench, eval) and prints where the time went: by op
// type, by backend and by node (top N), each with its share of the total node time, plus the run /
// batch / decode totals of the trace.
//
// Reading and grouping the events is runtime/trace_summary.h (shared with `inr bench --per-op`), which
// states the counting rule: totals are the top-level "node" events; phases nested in nodes are shown
// apart and never counted twice. Op types and nodes with multiply-accumulates (Conv, Gemm, MatMul and
// their fused/integer forms) also show them and the GFLOP/s achieved (2 * MACs / time). Traces of the
// emulated Gemmini's tile models (-x 1 / -x 2) carry the cycle model's numbers in their node args; then every
// table also sums the simulated cycles, DMA bytes in and out, and the cycle-weighted utilisation, by op
// type and by layer (node), and `--sort cycles` orders the tables by simulated cycles.
#include <algorithm>
#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli_errors.h"
#include "command.h"
#include "drivers/provenance.h"
#include "runtime/trace_summary.h"

namespace inr::cli {

Command make_profile_command(CLI::App& parent) {
  struct Flags {
    std::string trace;
    int top = 15;
    bool json = false;
    std::string sort = "time";
  };
  auto f = std::make_shared<Flags>();
  Command c;
  c.app = parent.add_subcommand("profile", "Summarise a Chrome trace (-t): time by op type, node and backend");
  c.app->add_option("trace", f->trace, "Trace JSON written by -t")->required();
  c.app->add_option("--top", f->top, "Nodes to list")->check(at_least(0));
  c.app->add_flag("--json", f->json, "Print one JSON object");
  c.app->add_option("--sort", f->sort, "Order of the tables: wall time, or simulated cycles (-x 1/2 traces)")
      ->check(CLI::IsMember({"time", "cycles"}))
      ->capture_default_str();
  c.run = [f] {
    auto loaded = load_chrome_trace(f->trace);
    if (!loaded) return fail(loaded.status());
    TraceSummary sum = summarize_trace(std::move(*loaded));
    if (sum.by_cat["node"].count == 0)
      return fail(error("{}: no \"node\" events (was the trace written with -t by a command that runs a model?)",
                        f->trace));
    const double node_total = sum.node_us;
    const double run_total = sum.by_cat["run"].total_us;
    auto pct = [&](double us) { return node_total > 0 ? 100.0 * us / node_total : 0.0; };
    const TimeBucket& sim = sum.simulated;
    const bool simulated = sim.cycles > 0;
    if (f->sort == "cycles" && !simulated)
      return fail(error("{}: --sort cycles needs simulated cycles (a trace of -x 1 or -x 2 on the emulated Gemmini)",
                        f->trace));
    auto rows = [&](const std::map<std::string, TimeBucket>& m) {
      return f->sort == "cycles" ? by_cycles(m) : by_time(m);
    };
    const double cycle_pct_base = static_cast<double>(sim.cycles);
    auto cpct = [&](int64_t cycles) { return cycle_pct_base > 0 ? 100.0 * static_cast<double>(cycles) / cycle_pct_base : 0.0; };
    const int64_t runs = std::max<int64_t>(1, sum.by_cat["run"].count);

    if (f->json) {
      auto table = [&](const std::map<std::string, TimeBucket>& m, size_t limit, bool with_macs) {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& [k, b] : rows(m)) {
          if (arr.size() >= limit) break;
          nlohmann::json row = {{"name", k}, {"count", b.count}, {"total_ms", b.total_us / 1e3},
                                {"percent", pct(b.total_us)}};
          if (with_macs) {
            row["macs"] = b.macs;
            row["gflops"] = gflops(b.macs, b.total_us);
          }
          if (simulated && with_macs) {
            row["cycles"] = b.cycles;
            row["cycles_percent"] = cpct(b.cycles);
            row["simulated_ms"] = b.simulated_us / 1e3;
            row["dma_in_bytes"] = b.dma_in_bytes;
            row["dma_out_bytes"] = b.dma_out_bytes;
            row["utilization"] = b.utilization();
          }
          arr.push_back(std::move(row));
        }
        return arr;
      };
      nlohmann::json j = provenance_base(kProfileSchema, 1, 0);
      j.erase("threads");  // the trace's, not this process's: see the trace's otherData
      j["trace"] = f->trace;
      j.update(nlohmann::json{{"events", sum.events},
                          {"span_ms", (sum.t1_us - sum.t0_us) / 1e3},
                          {"node_ms", node_total / 1e3},
                          {"run_ms", run_total / 1e3},
                          {"runs", sum.by_cat["run"].count},
                          {"batch_ms", sum.by_cat["batch"].total_us / 1e3},
                          {"decode_ms", sum.by_cat["decode"].total_us / 1e3},
                          {"by_op_type", table(sum.by_op_type, SIZE_MAX, true)},
                          {"by_backend", table(sum.by_backend, SIZE_MAX, false)},
                          {"by_node", table(sum.by_node, static_cast<size_t>(f->top), true)},
                          {"phases", table(sum.by_phase, SIZE_MAX, false)}});
      if (simulated)
        j["simulated"] = {{"cycles", sim.cycles},
                          {"cycles_per_run", static_cast<double>(sim.cycles) / static_cast<double>(runs)},
                          {"simulated_ms", sim.simulated_us / 1e3},
                          {"dma_in_bytes", sim.dma_in_bytes},
                          {"dma_out_bytes", sim.dma_out_bytes},
                          {"utilization", sim.utilization()},
                          {"nodes", sim.count}};
      std::printf("%s\n", j.dump().c_str());
      return 0;
    }
    std::printf("trace       %s: %zu events over %.1f ms\n", f->trace.c_str(), sum.events,
                (sum.t1_us - sum.t0_us) / 1e3);
    std::printf("runs        %ld, %.1f ms; node time %.1f ms (%.1f%% of run time)\n",
                static_cast<long>(sum.by_cat["run"].count), run_total / 1e3, node_total / 1e3,
                run_total > 0 ? 100.0 * node_total / run_total : 0.0);
    if (sum.by_cat["batch"].count)
      std::printf("batches     %ld, %.1f ms inference; decode %.1f ms on the loader thread (overlapped)\n",
                  static_cast<long>(sum.by_cat["batch"].count), sum.by_cat["batch"].total_us / 1e3,
                  sum.by_cat["decode"].total_us / 1e3);
    if (simulated)
      std::printf("simulated   %.0f cycles per run (%.3f ms at the config's clock), DMA %.2f MB in / %.2f MB out, "
                  "utilisation %.1f%% (%ld nodes on the emulated Gemmini)\n",
                  static_cast<double>(sim.cycles) / static_cast<double>(runs), sim.simulated_us / 1e3 / static_cast<double>(runs),
                  static_cast<double>(sim.dma_in_bytes) / 1e6 / static_cast<double>(runs),
                  static_cast<double>(sim.dma_out_bytes) / 1e6 / static_cast<double>(runs), 100.0 * sim.utilization(),
                  static_cast<long>(sim.count / runs));
    auto print_table = [&](const std::string& title, const char* col, const std::map<std::string, TimeBucket>& m,
                           size_t limit, bool with_macs) {
      const bool with_cycles = simulated && with_macs;
      std::printf("\n%s\n  %-40s %7s %11s %7s %10s", title.c_str(), col, "count", "total_ms", "%", "mean_us");
      std::printf(with_macs ? " %10s %8s" : "", "GMACs", "GFLOP/s");
      std::printf(with_cycles ? " %13s %6s %10s %10s %6s\n" : "\n", "Mcycles", "%cyc", "DMA_in_KB", "DMA_out_KB", "util");
      size_t k = 0;
      for (const auto& [name, b] : rows(m)) {
        if (k++ >= limit) break;
        std::printf("  %-40s %7ld %11.3f %6.1f%% %10.1f", name.c_str(), static_cast<long>(b.count), b.total_us / 1e3,
                    pct(b.total_us), b.total_us / static_cast<double>(b.count));
        if (with_macs) {
          if (b.macs > 0) {
            std::printf(" %10.3f %8.1f", static_cast<double>(b.macs) / 1e9, gflops(b.macs, b.total_us));
          } else {
            std::printf(" %10s %8s", "-", "-");
          }
        }
        if (with_cycles) {
          if (b.cycles > 0) {
            std::printf(" %13.3f %5.1f%% %10.1f %10.1f %5.1f%%", static_cast<double>(b.cycles) / 1e6, cpct(b.cycles),
                        static_cast<double>(b.dma_in_bytes) / 1e3, static_cast<double>(b.dma_out_bytes) / 1e3,
                        100.0 * b.utilization());
          } else {
            std::printf(" %13s %6s %10s %10s %6s", "-", "-", "-", "-", "-");
          }
        }
        std::printf("\n");
      }
    };
    print_table("by op type (share of node time)", "op_type", sum.by_op_type, SIZE_MAX, true);
    print_table("by backend", "backend", sum.by_backend, SIZE_MAX, false);
    print_table(fmt::format("by node (top {})", f->top), "node", sum.by_node, static_cast<size_t>(f->top), true);
    if (!sum.by_phase.empty())
      print_table("phases (inside nodes: part of the node time above, not added again)", "phase", sum.by_phase,
                  SIZE_MAX, false);
    return 0;
  };
  return c;
}

}  // namespace inr::cli
