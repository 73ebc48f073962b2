// Internal to the report layer: the sections of the page, each filled from the inputs it is about, and
// the formatting they share.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/labels.h"
#include "report/html.h"
#include "report/inputs.h"
#include "report/report.h"

namespace inr::report {

struct Context {
  const Options& options;
  data::Labels labels;
  std::vector<std::string> image_roots;  // options.image_roots, then every input's dataset root
  Stats& stats;
};

// Sections, in page order. Each adds nothing when none of `inputs` has its content.
void add_runs_section(Page& page, const std::vector<Input>& inputs);
void add_quantize_section(Page& page, const std::vector<Input>& inputs);
void add_accuracy_section(Page& page, const std::vector<Input>& inputs);
void add_compare_sections(Page& page, const std::vector<Input>& inputs, Context& ctx);
void add_per_image_section(Page& page, const std::vector<Input>& inputs);
void add_latency_section(Page& page, const std::vector<Input>& inputs);
void add_ops_section(Page& page, const std::vector<Input>& inputs, const Context& ctx);

// Shared formatting.
std::string file_name(const std::string& path);
std::optional<double> number(const nlohmann::json& j, const char* key);
// j[key] as text: a string as is, any other value as JSON; "" when `j` has no such key.
std::string str(const nlohmann::json& j, const char* key);
// "79.40 [76.12, 82.31]" from fractions (shown in %), "-" when absent.
std::string percent_ci(const nlohmann::json& summary, const char* key, const char* ci_key);
// A number with `decimals`, or "-" when absent.
std::string fixed(const nlohmann::json& j, const char* key, int decimals);
constexpr const char* kMissing = "-";

}  // namespace inr::report
