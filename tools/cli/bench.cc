// `inr bench -m MODEL --batch 1,16 --threads 2 [--runs N] [--warmup N] [--duration S] [--json] [-t trace]`
// Latency percentiles and throughput per batch size, on seeded random inputs (speed does not depend
// on values), plus peak RSS and the planned activation memory.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.h"
#include "core/cpu_tier.h"
#include "latency.h"
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

double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

}  // namespace

Command make_bench_command(CLI::App& parent) {
  struct Flags {
    SessionFlags session;
    std::vector<int64_t> batches{1};
    int runs = 50;
    int warmup = 5;
    double duration = 0;
    bool json = false;
    uint32_t seed = 1;
  };
  auto f = std::make_shared<Flags>();
  Command c;
  c.app = parent.add_subcommand("bench", "Measure latency and throughput of a model");
  add_session_flags(c.app, f->session);
  c.app->add_option("--batch", f->batches, "Batch sizes, comma separated")->delimiter(',')->check(CLI::PositiveNumber);
  c.app->add_option("-r,--runs", f->runs, "Timed runs per batch size")->check(CLI::PositiveNumber);
  c.app->add_option("--warmup", f->warmup, "Untimed runs first")->check(CLI::NonNegativeNumber);
  c.app->add_option("--duration", f->duration, "Run for at least this many seconds per batch (after --runs)")
      ->check(CLI::NonNegativeNumber);
  c.app->add_flag("--json", f->json, "Print one JSON object");
  c.app->add_option("--seed", f->seed, "Seed for the random inputs");
  c.run = [f] {
    Profiler profiler;
    auto session = open_session(f->session, &profiler);
    if (!session) return fail(session.status());
    Session& s = **session;
    nlohmann::json results = nlohmann::json::array();
    if (!f->json) std::printf("cpu tier: %s\n", cpu_tier_summary().c_str());
    if (!f->json)
      std::printf("%-6s %9s %9s %9s %9s %9s %10s %10s\n", "batch", "p50_ms", "p90_ms", "p99_ms", "min_ms", "max_ms",
                  "images/s", "arena_MiB");
    for (int64_t batch : f->batches) {
      std::vector<Tensor> ins;
      std::vector<Shape> shapes;
      for (size_t i = 0; i < s.inputs().size(); ++i) {
        auto shape = batch_input_shape(s.inputs()[i], batch);
        if (!shape) return fail(shape.status());
        shapes.push_back(*shape);
        ins.push_back(random_input(s.inputs()[i], *shape, f->seed + static_cast<uint32_t>(i)));
      }
      // The first run specialises the graph for these shapes and allocates the outputs once.
      auto first = s.run(ins);
      if (!first) return fail(first.status());
      std::vector<Tensor> outs = std::move(*first);
      for (int i = 0; i < f->warmup; ++i) {
        Status st = s.run_into(ins, outs);
        if (!st) return fail(st);
      }
      std::vector<double> ms;
      auto start = std::chrono::steady_clock::now();
      for (int i = 0;; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        Status st = s.run_into(ins, outs);
        auto t1 = std::chrono::steady_clock::now();
        if (!st) return fail(st);
        ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        double elapsed = std::chrono::duration<double>(t1 - start).count();
        if (i + 1 >= f->runs && elapsed >= f->duration) break;
      }
      auto arena = s.arena_bytes(shapes);
      auto placement = s.placement_summary(shapes);
      auto kernels = s.kernels(shapes);
      double p50 = percentile(ms, 50);
      nlohmann::json r = {{"batch", batch},
                          {"runs", ms.size()},
                          {"p50_ms", p50},
                          {"p90_ms", percentile(ms, 90)},
                          {"p99_ms", percentile(ms, 99)},
                          {"min_ms", *std::min_element(ms.begin(), ms.end())},
                          {"max_ms", *std::max_element(ms.begin(), ms.end())},
                          {"images_per_s", static_cast<double>(batch) * 1000.0 / p50},
                          {"arena_bytes", arena ? *arena : 0},
                          {"peak_rss_mib", peak_rss_mib()},
                          {"placement", placement ? *placement : placement.status().message()},
                          {"kernels", kernels ? *kernels : std::vector<std::string>{}}};
      results.push_back(r);
      if (!f->json)
        std::printf("%-6ld %9.3f %9.3f %9.3f %9.3f %9.3f %10.1f %10.1f\n", static_cast<long>(batch), p50,
                    r["p90_ms"].get<double>(), r["p99_ms"].get<double>(), r["min_ms"].get<double>(),
                    r["max_ms"].get<double>(), r["images_per_s"].get<double>(),
                    static_cast<double>(r["arena_bytes"].get<size_t>()) / (1024.0 * 1024.0));
    }
    if (!f->json)
      for (const auto& r : results) {
        std::printf("batch %ld placement: %s\n", static_cast<long>(r["batch"].get<int64_t>()),
                    r["placement"].get<std::string>().c_str());
        std::printf("batch %ld kernels: %s\n", static_cast<long>(r["batch"].get<int64_t>()),
                    kernel_histogram(r["kernels"].get<std::vector<std::string>>()).c_str());
      }
    if (f->json) {
      nlohmann::json out = {{"model", f->session.model}, {"threads", f->session.threads},
                            {"cpu_tier", std::string(cpu_tier_name(cpu_tier()))}, {"results", results},
                            {"peak_rss_mib", peak_rss_mib()}};
      std::printf("%s\n", out.dump().c_str());
    } else {
      std::printf("peak RSS %.1f MiB\n", peak_rss_mib());
    }
    Status st = finish_trace(f->session, profiler);
    return st ? 0 : fail(st);
  };
  return c;
}

}  // namespace inr::cli
