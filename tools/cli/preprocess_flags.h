// Preprocessing flags shared by `inr preprocess`, `inr classify` and `inr eval`: a preset plus overrides
// of each of its fields. resolve() turns them into an image::PreprocessSpec + DecodeOptions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "image/image.h"
#include "image/preprocess.h"
#include "drivers/preprocess_options.h"
#include "inr/preprocess_options.h"
#include "inr/status.h"

namespace inr::cli {

using PreprocessFlags = PreprocessOptions;

void add_preprocess_flags(CLI::App* app, PreprocessFlags& f);

// The note on stderr for -p caffe2 (ucb-bar's runner means another pipeline by that name), for commands
// whose driver resolves the preprocessing itself.
void note_preset(const PreprocessFlags& f);
// resolve_preprocess (drivers/preprocess_options.h), after note_preset.
Result<image::PreprocessSpec> resolve(const PreprocessFlags& f);

}  // namespace inr::cli
