// Command-line errors people can act on: every problem with the command line is one line on stderr,
// `inr: error: ...`, exit code 2 (a failure while running is exit code 1, command.h's fail()).
//  - a mistyped command or option names the closest real one: "unknown command 'clasify'; did you mean
//    'classify'?", "unknown option '--modle'; did you mean '--model'?";
//  - range checks say what they want in plain numbers ("--top: must be >= 1, got 0"), not CLI11's
//    DBL_MAX bounds;
//  - CLI11's own messages ("--image: At Most 1 required but received 2", "--model: 1 required TEXT
//    missing", "Could not convert: --seed = x") are rewritten into sentences, and anything else it says is
//    kept on one line.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "inr/status.h"

namespace inr::cli {

// Edit distance between two words: insertions, deletions, substitutions and swaps of two adjacent
// characters each cost 1 (Levenshtein with transpositions, "optimal string alignment").
size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word` when it is close enough to be a typo of it (distance <= a third of the
// word's length, at least 1; leading dashes ignored), else "".
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

// Checks with plain one-line messages, for CLI::Option::check. Numbers: "must be >= 1, got 0", "'x' is not
// a number"; choices: "'statc' is not one of fp16, dynamic, static; did you mean 'static'?".
CLI::Validator at_least(double min);
// Upper bound of --decode-threads: far above any useful count (decoding saturates a few cores), low enough
// that a typo such as 100000 is an error instead of a machine stalled creating threads.
inline constexpr int kMaxDecodeThreads = 256;
CLI::Validator in_range(double lo, double hi);
CLI::Validator one_of(std::vector<std::string> choices);
// A value checked by the library's own parser (`--shard K/N`, `-r START,END`), so that a malformed one is a
// command-line error (exit 2) before any work, like the range checks. The parser's message loses its
// leading flag name ("--shard '1e3': ..." -> "'1e3': ..."): CLI11 puts the option's name in front.
CLI::Validator parsed_by(std::function<Status(const std::string&)> parse, std::string description);

// Before parsing: the first word after `inr` that is not an option must be a command. Returns the message
// ("unknown command 'clasify'; did you mean 'classify'?") when it is not.
std::optional<std::string> unknown_command(CLI::App& root, const std::vector<std::string>& args);

// The one-line message (without the "inr: error: " prefix) for a CLI11 parse error other than
// --help / --version. `args` are the command-line words after the program name. An unknown option, or an
// option whose value is missing, is reported first: it is the cause of whatever CLI11 complained about
// (a mistyped --modle makes CLI11 report the missing --model).
std::string parse_error_message(CLI::App& root, const CLI::ParseError& e,
                                const std::vector<std::string>& args);

}  // namespace inr::cli
