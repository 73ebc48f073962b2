#include "session_flags.h"

#include "cli_errors.h"

#include "core/file.h"
#include "core/log.h"
#include "onnx/onnx_io.h"
#include "passes/passes.h"

namespace inr::cli {

void add_session_flags(CLI::App* app, SessionFlags& f, bool model_required) {
  auto* m = app->add_option("-m,--model", f.model, "ONNX model file");
  if (model_required) m->required();
  app->add_option("-O,--opt-level", f.opt_level, "Graph optimisation level: 0 none, 1 canonical, 2/99 all; 99 also models the emulated Gemmini's NHWC conv loop and conv+MaxPool fusion (the runner's -O 99)")
      ->check(one_of({"0", "1", "2", "99"}));
  app->add_option("--threads", f.threads, "Intra-op threads (0: the default)")
      ->check(in_range(0, kMaxSessionThreads))
      ->default_str("OMP_NUM_THREADS, else all cores");
  // ucb-bar's runner: -x 0 Gemmini's arithmetic on the CPU, 1 its output-stationary, 2 its weight-stationary
  // dataflow (emulated: backends/systolic); inr's own backends by name.
  app->add_option("-x,--backend", f.backend,
                  "Backend: auto, onednn, reference, or the runner's emulated Gemmini: 0 (its arithmetic on the CPU), "
                  "1 (output-stationary), 2 (weight-stationary)")
      ->transform(CLI::Transformer(std::map<std::string, std::string>{{"0", "systolic-cpu"},
                                                                      {"1", "systolic-os"},
                                                                      {"2", "systolic-ws"},
                                                                      {"cpu", "auto"}}))
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {
            if (v != "auto" && v != "onednn" && v != "reference" && v != "systolic-cpu" && v != "systolic-os" &&
                v != "systolic-ws")
              return "'" + v + "' is not a backend: use auto, onednn, reference, or 0 / 1 / 2 (emulated Gemmini: "
                     "CPU arithmetic, output-stationary, weight-stationary)";
            return "";
          },
          "BACKEND"));
  app->add_option("--systolic-config", f.systolic_config,
                  "Emulated Gemmini configuration (JSON: dim, sp_bytes, acc_bytes, clock_hz, ...; for -x 0/1/2)");
  app->add_option("--weights", f.weights,
                  "Weight memory: fast (backends may transform weights into larger forms that run faster, such as "
                  "Winograd 3x3 convolutions) or compact (weights held at about their own size)")
      ->check(one_of({"fast", "compact"}));
  app->add_option("-t,--trace", f.trace, "Write a Chrome/Perfetto trace (JSON) to this file");
  app->add_option("-d,--debug", f.debug,
                  "Log level on stderr: 0 debug (per node: placement and why, pass rewrites), 1 info (passes, "
                  "placement, threads, memory, compile), 2 warnings (default), 3 errors, 4 nothing; default: "
                  "$INR_LOG")
      ->check(in_range(0, 4))
      ->default_str("2, or $INR_LOG (debug|info|warn|error|quiet or 0..4)");
  app->add_option("-s,--save-model", f.save_model,
                  "Save the model after canonical passes (constant folding, BatchNorm folding) as ONNX");
}

Status apply_session_flags(const SessionFlags& f) {
  if (f.debug >= 0) set_log_level(static_cast<LogLevel>(f.debug));  // 0..4 in LogLevel's order
  // Output paths are checked before the run, not after it printed its results (issue #16).
  INR_TRY(check_output_path(f.trace));
  INR_TRY(check_output_path(f.save_model));
  if (!f.save_model.empty()) {
    // The exportable form: canonical passes only (fused ops are internal and not ONNX).
    INR_ASSIGN_OR_RETURN(std::unique_ptr<Graph> g, import_onnx_file(f.model));
    bool fixed = true;
    for (const Value* v : g->inputs) fixed = fixed && v->shape_known();
    if (!fixed) return error("--save-model needs a model with fixed input shapes");
    INR_TRY(optimize(*g, 1));
    INR_TRY(export_onnx_file(*g, f.save_model));
  }
  return Status::ok();
}

SessionOptions session_options(const SessionFlags& f) {
  SessionOptions o;
  o.opt_level = f.opt_level;
  o.threads = f.threads;
  o.backend = f.backend;
  o.systolic_config = f.systolic_config;
  o.compact_weights = f.weights == "compact";
  return o;
}

Result<std::unique_ptr<Session>> open_session(const SessionFlags& f, Profiler* profiler) {
  INR_TRY(apply_session_flags(f));
  SessionOptions o = session_options(f);
  o.profiler = f.trace.empty() ? nullptr : profiler;
  return Session::load(f.model, o);
}

Status finish_trace(const SessionFlags& f, const Profiler& profiler) {
  if (f.trace.empty()) return Status::ok();
  return profiler.write_chrome_trace(f.trace);
}

}  // namespace inr::cli
