// "Runs": what made each input — the machine facts that decide its numbers (CPU tier, threads, versions),
// the model (file, size, sha256), the dataset selection (fingerprint) and the preprocessing.
#include <fmt/format.h>

#include "report/sections.h"

namespace inr::report {

namespace {

using json = nlohmann::json;

const char* kind_title(InputKind k) {
  switch (k) {
    case InputKind::kEvalSummary: return "eval summary";
    case InputKind::kMergeSummary: return "merge summary";
    case InputKind::kEvalJournal: return "eval journal (per image)";
    case InputKind::kCompare: return "compare";
    case InputKind::kBench: return "bench";
    case InputKind::kProfile: return "profile";
    case InputKind::kQuantize: return "quantize summary";
  }
  return "?";
}

// "fp32.onnx, 13.3 MiB<br><code title=FULL>7c5d4aca72978a5a</code>"
std::string model_cell(const std::string& prefix, const json& m) {
  if (!m.is_object()) return "";
  std::string out = escape(prefix + file_name(str(m, "path")));
  if (auto b = number(m, "bytes"))
    out += *b >= 1024.0 * 1024.0 ? fmt::format(", {:.1f} MiB", *b / (1024.0 * 1024.0)) : fmt::format(", {:.0f} KiB", *b / 1024.0);
  const std::string sha = str(m, "sha256");
  if (!sha.empty())
    out += fmt::format("<br><code title=\"sha256 {}\">sha256 {}</code>", escape(sha), escape(sha.substr(0, 16)));
  return out;
}

std::string dataset_cell(const json& d) {
  if (!d.is_object()) return kMissing;
  std::string out;
  if (auto n = number(d, "images")) out += fmt::format("{:.0f} images", *n);
  if (!str(d, "layout").empty()) out += ", " + str(d, "layout");
  if (!str(d, "shard").empty()) out += ", shard " + str(d, "shard");
  out = escape(out);
  const std::string fp = str(d, "fingerprint");
  if (!fp.empty())
    out += fmt::format("<br><code title=\"fingerprint {}\">fingerprint {}</code>", escape(fp), escape(fp.substr(0, 12)));
  return out;
}

std::string preprocess_cell(const json& p) {
  if (!p.is_object()) return kMissing;
  std::string out = str(p, "preset");
  if (!str(p, "resize").empty()) out += ": resize " + str(p, "resize");
  if (p.contains("crop") && p["crop"].is_array() && p["crop"].size() == 2)
    out += fmt::format(", crop {}x{}", p["crop"][0].dump(), p["crop"][1].dump());
  if (!str(p, "interp").empty()) out += ", " + str(p, "interp");
  return escape(out);
}

}  // namespace

void add_runs_section(Page& page, const std::vector<Input>& inputs) {
  page.begin_section("runs", "Runs and machine");
  page.add_paragraph("What made each input file: the CPU tier in force, the threads used, the versions, the model "
                     "(sha256 in full on hover and in the data block), the dataset selection and the preprocessing.");
  Table t({{"file"}, {"content"}, {"model"}, {"cpu tier"}, {"threads", true}, {"versions"}, {"dataset"}, {"preprocess"}});
  json& rows = page.data()["runs"] = json::array();
  for (const Input& in : inputs) {
    const json& d = in.doc;
    std::string models;
    json row = {{"file", in.path}, {"content", kind_title(in.kind)}, {"models", json::array()}};
    auto add_model = [&](const std::string& prefix, const json& m) {
      if (!m.is_object()) return;
      models += (models.empty() ? "" : "<br>") + model_cell(prefix, m);
      row["models"].push_back({{"path", str(m, "path")}, {"sha256", str(m, "sha256")}});
    };
    if (in.kind == InputKind::kCompare && d.contains("models") && d["models"].is_array()) {
      for (const json& m : d["models"]) {
        add_model(str(m, "name") + ": ", m);
        if (m.contains("made_by")) add_model("(predictions of) ", m["made_by"]);
      }
    } else if (in.kind == InputKind::kCompare) {
      for (const char* side : {"a", "b"})
        if (d.contains(side)) models += (models.empty() ? "" : "<br>") + escape(str(d[side], "name"));
    } else if (d.contains("model")) {
      add_model("", d["model"]);
    } else if (d.contains("trace")) {
      models = escape("trace " + str(d, "trace"));
    }
    const json config = d.value("config", json::object());
    std::string tier = str(config, "cpu_tier").empty() ? str(d, "cpu_tier") : str(config, "cpu_tier");
    std::string threads = config.contains("threads") ? str(config, "threads") : str(d, "threads");
    if (!str(config, "threads_source").empty()) threads += " (" + str(config, "threads_source") + ")";
    std::string versions = "inr " + str(d, "inr_version");
    if (d.contains("versions") && d["versions"].is_object())
      for (const auto& [k, v] : d["versions"].items())
        if (k != "inr") versions += ", " + k + " " + (v.is_string() ? v.get<std::string>() : v.dump());
    t.add_row({escape(in.name), escape(kind_title(in.kind)), models.empty() ? kMissing : models, escape(tier),
               escape(threads.empty() ? kMissing : threads), escape(versions), dataset_cell(d.value("dataset", json())),
               preprocess_cell(d.value("preprocess", json()))});
    row.update({{"cpu_tier", tier}, {"threads", threads}, {"versions", versions}});
    rows.push_back(std::move(row));
  }
  page.add_html(t.html());
  page.end_section();
}

}  // namespace inr::report
