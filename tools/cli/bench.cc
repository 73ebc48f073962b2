// `inr bench -m MODEL --batch 1,16 --threads 2 [--runs N] [--warmup N] [--duration S] [--per-op] [--json] [-t trace]`
//
// Latency and throughput per batch size on seeded random inputs (speed does not depend on values), in the
// manner of trtexec and onnxruntime_perf_test:
// - a configuration header first: the model (size, sha256), the shapes run, every setting with "(default)"
//   where the user did not set it, the threads really used, CPU tier, inr and oneDNN versions;
// - per batch size: mean, stddev, min, p50/p90/p95/p99/p99.9 (nearest rank: core/stats.h), max, and the
//   throughput measured over the whole timed loop (images / wall time), next to the one implied by p50;
// - `--per-op`: after the timed runs of a batch size, --runs more runs with a profiler attached time every
//   node (the timed runs carry no profiling cost); one table per batch size, by node and by op type, with
//   MACs and GFLOP/s where the op has MACs (runtime/trace_summary.h, shared with `inr profile`).
// `--json` prints all of it as one object with the provenance of provenance.h (schema inr.bench).

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli_errors.h"
#include "command.h"
#include "core/cpu_tier.h"
#include "drivers/provenance.h"
#include "inr/bench.h"
#include "session_flags.h"

namespace inr::cli {

namespace {

// "30 jit_uni_int8:avx2, 23 jit_uni_int8_1x1:avx2, ...": how many steps ran each kernel, most used first.
std::string kernel_histogram(const std::vector<std::string>& steps) {
  std::map<std::string, int> count;
  for (const std::string& s : steps) {
    size_t colon = s.rfind(": ");
    count[colon == std::string::npos ? s : s.substr(colon + 2)]++;
  }
  std::vector<std::pair<int, std::string>> order;
  for (const auto& [k, n] : count) order.emplace_back(-n, k);
  std::sort(order.begin(), order.end());
  std::string out;
  for (const auto& [n, k] : order) out += fmt::format("{}{} {}", out.empty() ? "" : ", ", -n, k);
  return out;
}

// "[?,3,224,224]": a declared shape, dynamic dims as "?".
std::string declared_shape(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + (s[i] < 0 ? std::string("?") : std::to_string(s[i]));
  return out + "]";
}

std::string join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

std::string macs_cell(int64_t macs) { return macs > 0 ? fmt::format("{:.2f}", static_cast<double>(macs) / 1e6) : "-"; }
std::string gflops_cell(double g) { return g > 0 ? fmt::format("{:.1f}", g) : "-"; }

void print_per_op(int64_t batch, const nlohmann::json& p) {
  std::printf("\nper-op, batch %ld: mean of %ld profiled runs (after the timed ones); node time %.3f ms = 100%%, "
              "run time %.3f ms\n",
              static_cast<long>(batch), static_cast<long>(p["runs"].get<int64_t>()), p["node_ms"].get<double>(),
              p["run_ms"].get<double>());
  std::printf("  %-40s %-26s %-9s %9s %7s %10s %8s\n", "node", "op_type", "backend", "mean_ms", "share", "MMACs",
              "GFLOP/s");
  for (const auto& r : p["nodes"])
    std::printf("  %-40s %-26s %-9s %9.4f %6.2f%% %10s %8s\n", r["name"].get<std::string>().c_str(),
                r["op_type"].get<std::string>().c_str(), r["backend"].get<std::string>().c_str(),
                r["mean_ms"].get<double>(), r["percent"].get<double>(), macs_cell(r["macs"].get<int64_t>()).c_str(),
                gflops_cell(r["gflops"].get<double>()).c_str());
  std::printf("per op type, batch %ld:\n  %-26s %6s %9s %7s %10s %8s\n", static_cast<long>(batch), "op_type", "nodes",
              "mean_ms", "share", "MMACs", "GFLOP/s");
  for (const auto& r : p["op_types"])
    std::printf("  %-26s %6ld %9.4f %6.2f%% %10s %8s\n", r["op_type"].get<std::string>().c_str(),
                static_cast<long>(r["nodes"].get<int64_t>()), r["mean_ms"].get<double>(), r["percent"].get<double>(),
                macs_cell(r["macs"].get<int64_t>()).c_str(), gflops_cell(r["gflops"].get<double>()).c_str());
}

}  // namespace

Command make_bench_command(CLI::App& parent) {
  struct Flags {
    SessionFlags session;
    std::vector<int64_t> batches{1};
    int runs = 50;
    int warmup = 5;
    double duration = 0;
    bool per_op = false;
    bool json = false;
    uint32_t seed = 1;
  };
  auto f = std::make_shared<Flags>();
  Command c;
  c.app = parent.add_subcommand("bench", "Measure latency and throughput of a model");
  add_session_flags(c.app, f->session);
  c.app->add_option("--batch", f->batches, "Batch sizes, comma separated")->delimiter(',')->check(at_least(1))->default_str("1");
  c.app->add_option("-r,--runs", f->runs, "Timed runs per batch size")->check(at_least(1));
  c.app->add_option("--warmup", f->warmup, "Untimed runs first")->check(at_least(0));
  c.app->add_option("--duration", f->duration, "Run for at least this many seconds per batch (after --runs)")
      ->check(at_least(0));
  c.app->add_flag("--per-op", f->per_op,
                  "Time every node in --runs more runs per batch size (profiled, after the timed ones)");
  c.app->add_flag("--json", f->json, "Print one JSON object");
  c.app->add_option("--seed", f->seed, "Seed for the random inputs");
  CLI::App* app = c.app;
  c.run = [f, app] {
    Status st = apply_session_flags(f->session);
    if (!st) return fail(st);
    Profiler trace_profiler;
    BenchOptions o;
    o.model = f->session.model;
    o.session = session_options(f->session);
    if (!f->session.trace.empty()) o.session.profiler = &trace_profiler;
    o.batches = f->batches;
    o.runs = f->runs;
    o.warmup = f->warmup;
    o.duration = f->duration;
    o.per_op = f->per_op;
    o.seed = f->seed;
    // Configuration: what decides the numbers, each setting marked when it is the default.
    auto set = [app](const char* flag) { return app->get_option(flag)->count() > 0; };
    for (const char* flag : {"--batch", "--threads", "--backend", "--opt-level", "--warmup", "--runs", "--duration",
                             "--seed"})
      if (!set(flag)) o.defaults.push_back(std::string(flag).substr(2));
    auto dflt = [&](const char* flag) { return set(flag) ? "" : " (default)"; };
    if (!f->json) {
      o.on_config = [&](const nlohmann::json& m, const nlohmann::json& config) {
        std::printf("model: %s (%.1f MiB, sha256 %s)\n", f->session.model.c_str(),
                    static_cast<double>(m["bytes"].get<uint64_t>()) / (1024.0 * 1024.0),
                    m["sha256"].get<std::string>().substr(0, 12).c_str());
        for (const auto& in : config["inputs"]) {
          std::vector<std::string> run;
          for (const auto& shape : in["run_shapes"]) run.push_back(shape_str(shape.get<Shape>()));
          std::printf("input: %s %s%s, run as %s\n", in["name"].get<std::string>().c_str(),
                      in["dtype"].get<std::string>().c_str(), declared_shape(in["shape"].get<Shape>()).c_str(),
                      join(run, ", ").c_str());
        }
        std::vector<std::string> b;
        for (int64_t x : f->batches) b.push_back(std::to_string(x));
        std::printf("batches: %s%s\n", join(b, ", ").c_str(), dflt("--batch"));
        std::printf("threads: %d (%s)\n", config["threads"].get<int>(), config["threads_source"].get<std::string>().c_str());
        std::printf("backend: %s%s\n", f->session.backend.c_str(), dflt("--backend"));
        std::printf("opt level: %d%s\n", f->session.opt_level, dflt("--opt-level"));
        std::printf("cpu tier: %s\n", cpu_tier_summary().c_str());
        std::printf("versions: inr %s, oneDNN %s (OpenMP)\n", INR_VERSION, onednn_version().c_str());
        std::printf("warmup: %d%s\n", f->warmup, dflt("--warmup"));
        std::printf("runs: %d%s\n", f->runs, dflt("--runs"));
        std::printf("duration: %g s%s\n", f->duration, set("--duration") ? "" : " (default: no minimum time)");
        std::printf("seed: %u%s\n", f->seed, dflt("--seed"));
        std::printf("per-op: %s\n", f->per_op ? "on: --runs more profiled runs per batch after the timed ones"
                                                 : "off (default)");
        std::printf("trace: %s\n", !f->session.trace.empty()
                                       ? (f->session.trace + " (records every run but the --per-op ones: adds profiling cost to the timed runs)").c_str()
                                       : "none (default)");
        std::printf("\nlatency in ms; percentiles by nearest rank; images/s measured = batch x runs / wall time of the "
                    "timed loop\n");
        std::printf("%-6s %5s %8s %8s %8s %8s %8s %8s %8s %8s %8s %13s %11s\n", "batch", "runs", "mean", "stddev", "min",
                    "p50", "p90", "p95", "p99", "p99.9", "max", "images/s", "images/s");
        std::printf("%-6s %5s %8s %8s %8s %8s %8s %8s %8s %8s %8s %13s %11s\n", "", "", "", "", "", "", "", "", "", "", "",
                    "(measured)", "(from p50)");
        std::fflush(stdout);
      };
      o.on_result = [](const nlohmann::json& r) {
        std::printf("%-6ld %5zu %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f %13.1f %11.1f\n",
                    static_cast<long>(r["batch"].get<int64_t>()), r["runs"].get<size_t>(), r["mean_ms"].get<double>(),
                    r["stddev_ms"].get<double>(), r["min_ms"].get<double>(), r["p50_ms"].get<double>(),
                    r["p90_ms"].get<double>(), r["p95_ms"].get<double>(), r["p99_ms"].get<double>(),
                    r["p999_ms"].get<double>(), r["max_ms"].get<double>(), r["images_per_s_measured"].get<double>(),
                    r["images_per_s"].get<double>());
        std::fflush(stdout);
      };
    }
    auto out = benchmark(o);
    if (!out) return fail(out.status());
    const nlohmann::json& results = (*out)["results"];
    if (f->json) {
      std::printf("%s\n", out->dump().c_str());
    } else {
      std::printf("\n");
      for (const auto& r : results) {
        const long b = static_cast<long>(r["batch"].get<int64_t>());
        std::printf("batch %ld throughput: %.1f images/s measured (%zu runs of batch %ld in %.3f s of wall time)\n", b,
                    r["images_per_s_measured"].get<double>(), r["runs"].get<size_t>(), b, r["wall_s"].get<double>());
        std::printf("batch %ld arena: %.1f MiB\n", b,
                    static_cast<double>(r["arena_bytes"].get<size_t>()) / (1024.0 * 1024.0));
        std::printf("batch %ld placement: %s\n", b, r["placement"].get<std::string>().c_str());
        if (r.contains("cycles"))
          std::printf("batch %ld emulated Gemmini: %.0f simulated cycles/image, utilization %.1f%%, %.1f FPS at %.2f GHz "
                      "(%d nodes, cycle model)\n",
                      b, r["cycles"].get<double>(), 100.0 * r["utilization"].get<double>(), r["fps"].get<double>(),
                      r["clock_hz"].get<double>() / 1e9, r["accelerator_nodes"].get<int>());
        std::printf("batch %ld kernels: %s\n", b, kernel_histogram(r["kernels"].get<std::vector<std::string>>()).c_str());
      }
      for (const auto& r : results)
        if (r.contains("per_op")) print_per_op(r["batch"].get<int64_t>(), r["per_op"]);
      std::printf("\npeak RSS %.1f MiB\n", (*out)["peak_rss_mib"].get<double>());
    }
    st = finish_trace(f->session, trace_profiler);
    return st ? 0 : fail(st);
  };
  return c;
}

}  // namespace inr::cli
