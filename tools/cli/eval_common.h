// Pieces shared by `inr eval`, `inr merge` and `inr compare`: dataset flags, and the accuracy summary
// as text and as the JSON object documented in eval.cc.
#pragma once

#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "data/predictions.h"
#include "drivers/dataset_select.h"
#include "inr/eval.h"

namespace inr::cli {

using DatasetFlags = DatasetSelection;

// `required`: --data must be given.
void add_dataset_flags(CLI::App* app, DatasetFlags& f, bool required);

}  // namespace inr::cli
