// Shared helpers for inr tests: where the data lives, running the CLI, temp dirs, seeded inputs.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <memory>
#include <span>

#include "inr/tensor.h"
#include "ir/graph.h"

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

// What a bad input must give: a non-zero exit without a crash and exactly one stderr line, starting with
// "inr: error:" and containing `needle`.
void expect_one_line_error(const CliResult& r, const std::string& needle);

// How many nodes of `op` the graph has.
int count_op(const Graph& g, Op op);

// Runs `g` once in a fresh session at `opt_level` on `backend`. A failure to create or run is a test
// failure and gives no outputs.
std::vector<Tensor> run_graph(std::unique_ptr<Graph> g, std::span<const Tensor> inputs, int opt_level = 99,
                              const std::string& backend = "reference");

}  // namespace inr::test
