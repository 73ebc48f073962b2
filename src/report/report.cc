// generate(): load every input, then lay the sections out in a fixed order (machine facts first, so a
// reader knows what produced the numbers before reading them).
#include "report/report.h"

#include <filesystem>

#include <fmt/format.h>

#include "core/file.h"
#include "report/sections.h"

namespace inr::report {

namespace fs = std::filesystem;

bool has_scripts(const std::string& node_modules) {
  std::error_code ec;
  for (const char* f : kScriptFiles)
    if (!fs::is_regular_file(fs::path(node_modules) / f, ec)) return false;
  return !node_modules.empty();
}

Result<Scripts> load_scripts(const std::string& node_modules) {
  Scripts s;
  std::string* dst[] = {&s.vega, &s.vega_lite, &s.vega_embed};
  for (size_t i = 0; i < std::size(kScriptFiles); ++i) {
    const std::string path = (fs::path(node_modules) / kScriptFiles[i]).string();
    auto text = read_file(path);
    if (!text) return error("{} not found (scripts/install-deps.sh installs it: npm ci in tools/report)", path);
    *dst[i] = std::move(*text);
  }
  return s;
}

std::string file_name(const std::string& path) { return fs::path(path).filename().string(); }

std::string str(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) return "";
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

std::optional<double> number(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

std::string percent_ci(const nlohmann::json& s, const char* key, const char* ci_key) {
  auto v = number(s, key);
  if (!v) return kMissing;
  std::string out = fmt::format("{:.2f}", 100 * *v);
  if (s.contains(ci_key) && s[ci_key].is_array() && s[ci_key].size() == 2 && s[ci_key][0].is_number())
    out += fmt::format(" [{:.2f}, {:.2f}]", 100 * s[ci_key][0].get<double>(), 100 * s[ci_key][1].get<double>());
  return out;
}

std::string fixed(const nlohmann::json& j, const char* key, int decimals) {
  auto v = number(j, key);
  return v ? fmt::format("{:.{}f}", *v, decimals) : kMissing;
}

Result<std::string> generate(std::span<const std::string> files, std::span<const std::string> script_dirs,
                             const Options& options, Stats* stats) {
  if (files.empty()) return error("no input files");
  std::vector<Input> inputs;
  for (const std::string& f : files) {
    INR_ASSIGN_OR_RETURN(Input in, load_input(f));
    inputs.push_back(std::move(in));
  }
  std::string dir;
  for (const std::string& d : script_dirs)
    if (has_scripts(d)) {
      dir = d;
      break;
    }
  if (dir.empty()) {
    std::string looked;
    for (const std::string& d : script_dirs) looked += (looked.empty() ? "" : ", ") + d;
    return error("the Vega-Lite bundles (vega, vega-lite, vega-embed) are not installed{}: scripts/install-deps.sh "
                 "installs them (npm ci in tools/report), or give --js-dir DIR",
                 looked.empty() ? "" : " (looked in " + looked + ")");
  }
  INR_ASSIGN_OR_RETURN(Scripts scripts, load_scripts(dir));
  Stats local;
  Stats& st = stats ? *stats : local;
  st = Stats{};
  Context ctx{options, {}, options.image_roots, st};
  if (!options.labels.empty()) {
    INR_ASSIGN_OR_RETURN(ctx.labels, data::load_labels(options.labels));
  } else {
    ctx.labels = data::imagenet_labels();
  }
  for (const Input& in : inputs) {
    const nlohmann::json& d = in.doc;
    if (d.contains("dataset") && d["dataset"].is_object() && d["dataset"].contains("root") &&
        d["dataset"]["root"].is_string())
      ctx.image_roots.push_back(d["dataset"]["root"].get<std::string>());
  }

  Page page;
  nlohmann::json& files_json = page.data()["inputs"] = nlohmann::json::array();
  for (const Input& in : inputs) files_json.push_back({{"path", in.path}, {"schema", in.doc["schema"]}});
  add_runs_section(page, inputs);
  add_quantize_section(page, inputs);
  add_accuracy_section(page, inputs);
  add_compare_sections(page, inputs, ctx);
  add_per_image_section(page, inputs);
  add_latency_section(page, inputs);
  add_ops_section(page, inputs, ctx);
  st.charts = page.charts();
  st.sections = page.sections();
  return page.finish(options.title, scripts);
}

}  // namespace inr::report
