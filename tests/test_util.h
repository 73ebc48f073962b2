// Shared helpers for inr tests: where the data lives, running the CLI, temp dirs, seeded inputs.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "inr/tensor.h"

namespace inr::test {

// ../shared/data next to the checkout, or $INR_DATA_DIR.
std::string data_dir();
bool has_data();  // tests that need the shared data skip (with a reason) when it is absent
std::string source_dir();
std::string cli_path();

struct CliResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};
// Runs `inr ARGS` through /bin/sh (args are passed verbatim; quote them yourself).
CliResult run_cli(const std::string& args);
// Runs any shell command and captures stdout/stderr.
CliResult run_shell(const std::string& command);

// A fresh empty directory under the build tree, removed at process exit.
std::string temp_dir(const std::string& tag);

// Seeded uniform random f32 tensor in [lo, hi).
Tensor random_f32(const Shape& shape, uint32_t seed, float lo = -1.f, float hi = 1.f);

// Counts lines of a string.
int count_lines(const std::string& s);

}  // namespace inr::test
