// Protocol between inr's main and its subcommands: one file per subcommand defines
// `Command make_<name>_command(CLI::App& parent)` and a line in commands.def lists it.
#pragma once

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "inr/status.h"

namespace inr::cli {

struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;  // exit code: 0 ok, 1 error
};

// Prints "inr: error: <message>" on one line to stderr and returns exit code 1.
int fail(const Status& status);

// True when stderr is a terminal (progress bars are shown only then).
bool stderr_is_tty();

// "avx2 (capped by INR_MAX_ISA; the CPU has avx512_vnni)" or "avx512_vnni": the CPU tier in force.
std::string cpu_tier_summary();

// "2.6.3": the oneDNN library inr runs with (its run-time version, not the headers').
std::string onednn_version();

// Data directory: $INR_DATA_DIR, else ../shared/data beside the executable's checkout, else "".
std::string default_data_dir();

}  // namespace inr::cli
