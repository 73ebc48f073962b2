// Protocol between inr's main and its subcommands: one file per subcommand defines
// `Command make_<name>_command(CLI::App& parent)` and a line in commands.def lists it.
#pragma once

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "drivers/provenance.h"  // cpu_tier_summary, onednn_version
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

// Data directory: $INR_DATA_DIR, else ../shared/data beside the executable's checkout, else "".
std::string default_data_dir();

}  // namespace inr::cli
