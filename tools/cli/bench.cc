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
#include <sys/resource.h>

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
#include "core/stats.h"
#include "drivers/provenance.h"
#include "runtime/trace_summary.h"
#include "drivers/eval_pipeline.h"
#include "session_flags.h"

namespace inr::cli {

namespace {

Tensor random_input(const IoInfo& info, const Shape& shape, uint32_t seed) {
  Tensor t = Tensor::zeros(info.dtype, shape);
  std::mt19937 rng(seed);
  if (info.dtype == DType::kF32) {
    std::normal_distribution<float> d(0.f, 1.f);
    for (float& v : t.span<float>()) v = d(rng);
  } else if (info.dtype == DType::kU8 || info.dtype == DType::kI8) {
    std::uniform_int_distribution<int> d(0, 255);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<uint8_t>()[i] = static_cast<uint8_t>(d(rng));
  }
  return t;
}

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

double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
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

// The per-op tables of one batch size: `runs` profiled runs, every number a mean per run.
nlohmann::json per_op_json(const TraceSummary& sum, int64_t runs) {
  const double n = static_cast<double>(runs);
  auto pct = [&](double us) { return sum.node_us > 0 ? 100.0 * us / sum.node_us : 0.0; };
  nlohmann::json nodes = nlohmann::json::array(), types = nlohmann::json::array();
  for (const auto& [name, b] : by_time(sum.by_node))
    nodes.push_back({{"name", name}, {"op_type", b.op_type}, {"backend", b.backend}, {"mean_ms", b.total_us / n / 1e3},
                     {"percent", pct(b.total_us)}, {"macs", b.macs / runs}, {"gflops", gflops(b.macs, b.total_us)}});
  for (const auto& [type, b] : by_time(sum.by_op_type))
    types.push_back({{"op_type", type}, {"nodes", b.count / runs}, {"mean_ms", b.total_us / n / 1e3},
                     {"percent", pct(b.total_us)}, {"macs", b.macs / runs}, {"gflops", gflops(b.macs, b.total_us)}});
  auto it = sum.by_cat.find("run");
  const double run_us = it == sum.by_cat.end() ? 0.0 : it->second.total_us;
  return {{"runs", runs}, {"node_ms", sum.node_us / n / 1e3}, {"run_ms", run_us / n / 1e3}, {"nodes", nodes},
          {"op_types", types}};
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
    Profiler trace_profiler;
    auto session = open_session(f->session, &trace_profiler);
    if (!session) return fail(session.status());
    Session& s = **session;
    Profiler* trace = f->session.trace.empty() ? nullptr : &trace_profiler;
    auto model = model_json(f->session.model);
    if (!model) return fail(model.status());

    // Every shape first, so that a batch the model cannot take is an error before anything runs.
    std::vector<std::vector<Shape>> batch_shapes;
    for (int64_t batch : f->batches) {
      std::vector<Shape> shapes;
      for (const IoInfo& in : s.inputs()) {
        auto shape = batch_input_shape(in, batch);
        if (!shape) return fail(shape.status());
        shapes.push_back(*shape);
      }
      batch_shapes.push_back(std::move(shapes));
    }

    // Configuration: what decides the numbers, each setting marked when it is the default.
    auto set = [app](const char* flag) { return app->get_option(flag)->count() > 0; };
    std::vector<std::string> defaults;
    for (const char* flag : {"--batch", "--threads", "--backend", "--opt-level", "--warmup", "--runs", "--duration",
                             "--seed"})
      if (!set(flag)) defaults.push_back(std::string(flag).substr(2));
    auto dflt = [&](const char* flag) { return set(flag) ? "" : " (default)"; };
    const int threads = effective_threads(f->session.threads);
    const char* omp_env = std::getenv("OMP_NUM_THREADS");
    const std::string threads_source =
        f->session.threads > 0 ? "--threads"
                               : (omp_env ? fmt::format("default: OMP_NUM_THREADS={}", omp_env) : "default: all cores");
    nlohmann::json inputs = nlohmann::json::array();
    for (size_t i = 0; i < s.inputs().size(); ++i) {
      nlohmann::json run_shapes = nlohmann::json::array();
      for (const auto& shapes : batch_shapes) run_shapes.push_back(shapes[i]);
      inputs.push_back({{"name", s.inputs()[i].name}, {"dtype", std::string(dtype_name(s.inputs()[i].dtype))},
                        {"shape", s.inputs()[i].shape}, {"run_shapes", run_shapes}});
    }
    nlohmann::json config = {{"inputs", inputs},
                             {"batches", f->batches},
                             {"threads", threads},
                             {"threads_source", threads_source},
                             {"backend", f->session.backend},
                             {"opt_level", f->session.opt_level},
                             {"cpu_tier", cpu_tier_summary()},
                             {"warmup", f->warmup},
                             {"runs", f->runs},
                             {"duration_s", f->duration},
                             {"seed", f->seed},
                             {"per_op", f->per_op},
                             {"trace", f->session.trace},
                             {"percentiles", "nearest rank"},
                             {"defaults", defaults}};
    if (!f->json) {
      const nlohmann::json& m = *model;
      std::printf("model: %s (%.1f MiB, sha256 %s)\n", f->session.model.c_str(),
                  static_cast<double>(m["bytes"].get<uint64_t>()) / (1024.0 * 1024.0),
                  m["sha256"].get<std::string>().substr(0, 12).c_str());
      for (size_t i = 0; i < s.inputs().size(); ++i) {
        std::vector<std::string> run;
        for (const auto& shapes : batch_shapes) run.push_back(shape_str(shapes[i]));
        std::printf("input: %s %s%s, run as %s\n", s.inputs()[i].name.c_str(),
                    std::string(dtype_name(s.inputs()[i].dtype)).c_str(), declared_shape(s.inputs()[i].shape).c_str(),
                    join(run, ", ").c_str());
      }
      std::vector<std::string> b;
      for (int64_t x : f->batches) b.push_back(std::to_string(x));
      std::printf("batches: %s%s\n", join(b, ", ").c_str(), dflt("--batch"));
      std::printf("threads: %d (%s)\n", threads, threads_source.c_str());
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
      std::printf("trace: %s\n", trace ? (f->session.trace + " (records every run but the --per-op ones: adds profiling cost to the timed runs)").c_str()
                                           : "none (default)");
      std::printf("\nlatency in ms; percentiles by nearest rank; images/s measured = batch x runs / wall time of the "
                  "timed loop\n");
      std::printf("%-6s %5s %8s %8s %8s %8s %8s %8s %8s %8s %8s %13s %11s\n", "batch", "runs", "mean", "stddev", "min",
                  "p50", "p90", "p95", "p99", "p99.9", "max", "images/s", "images/s");
      std::printf("%-6s %5s %8s %8s %8s %8s %8s %8s %8s %8s %8s %13s %11s\n", "", "", "", "", "", "", "", "", "", "", "",
                  "(measured)", "(from p50)");
      std::fflush(stdout);
    }

    nlohmann::json results = nlohmann::json::array();
    for (size_t bi = 0; bi < f->batches.size(); ++bi) {
      const int64_t batch = f->batches[bi];
      const std::vector<Shape>& shapes = batch_shapes[bi];
      std::vector<Tensor> ins;
      for (size_t i = 0; i < s.inputs().size(); ++i)
        ins.push_back(random_input(s.inputs()[i], shapes[i], f->seed + static_cast<uint32_t>(i)));
      // The first run specialises the graph for these shapes and allocates the outputs once.
      auto first = s.run(ins);
      if (!first) return fail(first.status());
      std::vector<Tensor> outs = std::move(*first);
      for (int i = 0; i < f->warmup; ++i) {
        Status st = s.run_into(ins, outs);
        if (!st) return fail(st);
      }
      // The timed loop. Wall time runs from just before the first timed run to the end of the last one, so
      // measured throughput includes whatever happens between runs (nothing but the clock reads here).
      std::vector<double> ms;
      ms.reserve(static_cast<size_t>(f->runs));
      const auto start = std::chrono::steady_clock::now();
      auto end = start;
      for (int i = 0;; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        Status st = s.run_into(ins, outs);
        auto t1 = std::chrono::steady_clock::now();
        if (!st) return fail(st);
        ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        end = t1;
        double elapsed = std::chrono::duration<double>(t1 - start).count();
        if (i + 1 >= f->runs && elapsed >= f->duration) break;
      }
      const double wall_s = std::chrono::duration<double>(end - start).count();
      const SampleStats st = sample_stats(ms);
      const double measured = static_cast<double>(batch) * static_cast<double>(ms.size()) / wall_s;

      auto arena = s.arena_bytes(shapes);
      auto placement = s.placement_summary(shapes);
      auto kernels = s.kernels(shapes);
      nlohmann::json r = {{"batch", batch},
                          {"input_shapes", shapes},
                          {"runs", ms.size()},
                          {"mean_ms", st.mean},
                          {"stddev_ms", st.stddev},
                          {"min_ms", st.min},
                          {"p50_ms", st.p50},
                          {"p90_ms", st.p90},
                          {"p95_ms", st.p95},
                          {"p99_ms", st.p99},
                          {"p999_ms", st.p999},
                          {"max_ms", st.max},
                          {"wall_s", wall_s},
                          {"images_per_s_measured", measured},
                          // batch / p50: what one run at the median latency would sustain (ORT's script reports this)
                          {"images_per_s", static_cast<double>(batch) * 1000.0 / st.p50},
                          {"arena_bytes", arena ? *arena : 0},
                          {"peak_rss_mib", peak_rss_mib()},
                          {"placement", placement ? *placement : placement.status().message()},
                          {"kernels", kernels ? *kernels : std::vector<std::string>{}}};

      if (f->per_op) {
        // A profiler of this batch size's own, so that its tables never mix batch sizes; the trace (-t), if
        // any, is attached again afterwards.
        Profiler op_profiler;
        s.set_profiler(&op_profiler);
        Status run_status = Status::ok();
        for (int i = 0; i < f->runs && run_status; ++i) run_status = s.run_into(ins, outs);
        s.set_profiler(trace);
        if (!run_status) return fail(run_status);
        r["per_op"] = per_op_json(summarize_trace(trace_events(op_profiler)), f->runs);
      }
      if (!f->json) {
        std::printf("%-6ld %5zu %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f %13.1f %11.1f\n",
                    static_cast<long>(batch), ms.size(), st.mean, st.stddev, st.min, st.p50, st.p90, st.p95, st.p99,
                    st.p999, st.max, measured, r["images_per_s"].get<double>());
        std::fflush(stdout);
      }
      results.push_back(std::move(r));
    }

    if (f->json) {
      nlohmann::json out = provenance_base(kBenchSchema, 1, f->session.threads);
      out["model"] = *model;
      out["config"] = config;
      out["versions"] = {{"inr", INR_VERSION}, {"onednn", onednn_version()}};
      out["results"] = results;
      out["peak_rss_mib"] = peak_rss_mib();
      std::printf("%s\n", out.dump().c_str());
    } else {
      std::printf("\n");
      for (const auto& r : results) {
        const long b = static_cast<long>(r["batch"].get<int64_t>());
        std::printf("batch %ld throughput: %.1f images/s measured (%zu runs of batch %ld in %.3f s of wall time)\n", b,
                    r["images_per_s_measured"].get<double>(), r["runs"].get<size_t>(), b, r["wall_s"].get<double>());
        std::printf("batch %ld arena: %.1f MiB\n", b,
                    static_cast<double>(r["arena_bytes"].get<size_t>()) / (1024.0 * 1024.0));
        std::printf("batch %ld placement: %s\n", b, r["placement"].get<std::string>().c_str());
        std::printf("batch %ld kernels: %s\n", b, kernel_histogram(r["kernels"].get<std::vector<std::string>>()).c_str());
      }
      for (const auto& r : results)
        if (r.contains("per_op")) print_per_op(r["batch"].get<int64_t>(), r["per_op"]);
      std::printf("\npeak RSS %.1f MiB\n", peak_rss_mib());
    }
    Status st = finish_trace(f->session, trace_profiler);
    return st ? 0 : fail(st);
  };
  return c;
}

}  // namespace inr::cli
