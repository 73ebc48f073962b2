// inr's --help layout: CLI11's, with each option's default at the end of its description
// ("How many classes to print [default: 5]") instead of glued to the type ("INT:>=1=5").
#pragma once

#include <memory>

#include <CLI/CLI.hpp>

namespace inr::cli {

// Set on the root app before subcommands are added (they inherit it), together with
// option_defaults()->always_capture_default() so every option's default is known.
std::shared_ptr<CLI::Formatter> help_formatter();

}  // namespace inr::cli
