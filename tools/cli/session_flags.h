// Flags shared by every subcommand that runs a model, and the session they configure.
// Short flags follow the seed runner (ucb-bar imagenet_runner): -m model, -x execution, -O opt level,
// -t trace, -d debug level, -s save the optimised model, -r repeat.
#pragma once

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "core/profiler.h"
#include "inr/session.h"

namespace inr::cli {

struct SessionFlags {
  std::string model;
  int opt_level = 99;
  int threads = 0;
  std::string backend = "auto";
  std::string systolic_config;  // --systolic-config FILE.json
  std::string trace;
  int debug = -1;
  std::string save_model;
  // --weights: "fast" (backends may enlarge weights for speed: Winograd) or "compact"; a command sets its
  // default before add_session_flags.
  std::string weights = "fast";
};

void add_session_flags(CLI::App* app, SessionFlags& f, bool model_required = true);

// The log level (-d) and --save-model: what the flags do before a model runs. Commands that hand a
// SessionOptions to a driver call this, then session_options().
Status apply_session_flags(const SessionFlags& f);
// -O, --threads, -x as SessionOptions (no profiler).
SessionOptions session_options(const SessionFlags& f);

// Loads the model with the flags' options; the profiler (owned by the caller) is used when a trace
// was asked for.
Result<std::unique_ptr<Session>> open_session(const SessionFlags& f, Profiler* profiler);

// Writes the trace if one was asked for (call once at the end).
Status finish_trace(const SessionFlags& f, const Profiler& profiler);


}  // namespace inr::cli
