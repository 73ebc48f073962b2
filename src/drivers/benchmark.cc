// inr::benchmark (include/inr/bench.h): the measurement loop of `inr bench`, in the manner of trtexec and
// onnxruntime_perf_test. Percentiles by nearest rank (core/stats.h); per-op tables from a profiler of each
// batch size's own (runtime/trace_summary.h), so they never mix batch sizes and the timed runs carry no
// profiling cost.
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <random>

#include <fmt/format.h>

#include "core/profiler.h"
#include "core/stats.h"
#include "drivers/eval_pipeline.h"
#include "drivers/latency.h"
#include "drivers/provenance.h"
#include "inr/bench.h"
#include "runtime/trace_summary.h"

namespace inr {

namespace {

double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
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

}  // namespace

Result<nlohmann::json> benchmark(const BenchOptions& o) {
  INR_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Session::load(o.model, o.session));
  Session& s = *session;
  Profiler* trace = o.session.profiler;
  INR_ASSIGN_OR_RETURN(nlohmann::json model, model_json(o.model));

  // Every shape first, so that a batch the model cannot take is an error before anything runs.
  std::vector<std::vector<Shape>> batch_shapes;
  for (int64_t batch : o.batches) {
    std::vector<Shape> shapes;
    for (const IoInfo& in : s.inputs()) {
      INR_ASSIGN_OR_RETURN(Shape shape, batch_input_shape(in, batch));
      shapes.push_back(shape);
    }
    batch_shapes.push_back(std::move(shapes));
  }
  const int threads = effective_threads(o.session.threads);
  const char* omp_env = std::getenv("OMP_NUM_THREADS");
  const std::string threads_source =
      o.session.threads > 0 ? "--threads"
                            : (omp_env ? fmt::format("default: OMP_NUM_THREADS={}", omp_env) : "default: all cores");
  nlohmann::json inputs = nlohmann::json::array();
  for (size_t i = 0; i < s.inputs().size(); ++i) {
    nlohmann::json run_shapes = nlohmann::json::array();
    for (const auto& shapes : batch_shapes) run_shapes.push_back(shapes[i]);
    inputs.push_back({{"name", s.inputs()[i].name}, {"dtype", std::string(dtype_name(s.inputs()[i].dtype))},
                      {"shape", s.inputs()[i].shape}, {"run_shapes", run_shapes}});
  }
  nlohmann::json config = {{"inputs", inputs},
                           {"batches", o.batches},
                           {"threads", threads},
                           {"threads_source", threads_source},
                           {"backend", o.session.backend},
                           {"opt_level", o.session.opt_level},
                           {"cpu_tier", cpu_tier_summary()},
                           {"warmup", o.warmup},
                           {"runs", o.runs},
                           {"duration_s", o.duration},
                           {"seed", o.seed},
                           {"per_op", o.per_op},
                           {"trace", trace != nullptr},
                           {"percentiles", "nearest rank"},
                           {"defaults", o.defaults}};
  if (o.on_config) o.on_config(model, config);

  nlohmann::json results = nlohmann::json::array();
  for (size_t bi = 0; bi < o.batches.size(); ++bi) {
    const int64_t batch = o.batches[bi];
    const std::vector<Shape>& shapes = batch_shapes[bi];
    std::vector<Tensor> ins;
    for (size_t i = 0; i < s.inputs().size(); ++i)
      ins.push_back(random_input(s.inputs()[i], shapes[i], o.seed + static_cast<uint32_t>(i)));
    // The first run specialises the graph for these shapes and allocates the outputs once.
    INR_ASSIGN_OR_RETURN(std::vector<Tensor> outs, s.run(ins));
    for (int i = 0; i < o.warmup; ++i) INR_TRY(s.run_into(ins, outs));
    // The timed loop. Wall time runs from just before the first timed run to the end of the last one, so
    // measured throughput includes whatever happens between runs (nothing but the clock reads here).
    std::vector<double> ms;
    ms.reserve(static_cast<size_t>(o.runs));
    const auto start = std::chrono::steady_clock::now();
    auto end = start;
    for (int i = 0;; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      Status st = s.run_into(ins, outs);
      auto t1 = std::chrono::steady_clock::now();
      if (!st) return st;
      ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      end = t1;
      double elapsed = std::chrono::duration<double>(t1 - start).count();
      if (i + 1 >= o.runs && elapsed >= o.duration) break;
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
    // The emulated Gemmini's cycle model (-x 1 / -x 2): simulated cycles per image, utilisation, and the FPS
    // they give at the config's clock.
    auto accel = s.accelerator_cost(shapes);
    if (accel && accel->cycles > 0) {
      const double per_image = static_cast<double>(accel->cycles) / static_cast<double>(batch);
      r["cycles"] = per_image;
      r["utilization"] = accel->utilization;
      r["fps"] = accel->clock_hz / per_image;
      r["clock_hz"] = accel->clock_hz;
      r["accelerator_nodes"] = accel->nodes;
      r["accelerator_macs"] = accel->macs / batch;
      r["dma_bytes"] = accel->dma_bytes / batch;
    }
    if (o.per_op) {
      // A profiler of this batch size's own, so that its tables never mix batch sizes; the trace, if any,
      // is attached again afterwards.
      Profiler op_profiler;
      s.set_profiler(&op_profiler);
      Status run_status = Status::ok();
      for (int i = 0; i < o.runs && run_status; ++i) run_status = s.run_into(ins, outs);
      s.set_profiler(trace);
      if (!run_status) return run_status;
      r["per_op"] = per_op_json(summarize_trace(trace_events(op_profiler)), o.runs);
    }
    if (o.on_result) o.on_result(r);
    results.push_back(std::move(r));
  }
  nlohmann::json out = provenance_base(kBenchSchema, 1, o.session.threads);
  out["model"] = model;
  out["config"] = config;
  out["versions"] = {{"inr", INR_VERSION}, {"onednn", onednn_version()}};
  out["results"] = results;
  out["peak_rss_mib"] = peak_rss_mib();
  return out;
}

}  // namespace inr
