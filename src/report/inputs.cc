// Dispatch on {"schema": {"name", "version"}}, the field every inr JSON output carries: the content of a
// file is never guessed from its keys, so a file from another tool (or an inr too old to write a schema)
// is one clear error instead of a half-empty page.
#include "report/inputs.h"

#include <filesystem>

#include "core/file.h"

namespace inr::report {

namespace {

std::string known_schemas() {
  std::string out;
  for (const SchemaInfo& s : kSchemas) out += (out.empty() ? "" : ", ") + std::string(s.name);
  return out;
}

}  // namespace

Result<Input> load_input(const std::string& path) {
  Input in;
  in.path = path;
  in.name = std::filesystem::path(path).filename().string();
  INR_ASSIGN_OR_RETURN(std::string text, read_file(path));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  bool jsonl = false;
  if (j.is_discarded()) {
    // JSONL: the first line alone (a journal's header).
    const size_t nl = text.find('\n');
    if (nl != std::string::npos) j = nlohmann::json::parse(std::string_view(text).substr(0, nl), nullptr, false);
    if (j.is_discarded()) return error("{}: not a JSON file (nor JSON lines)", path);
    jsonl = true;
  }
  if (!j.is_object() || !j.contains("schema") || !j["schema"].is_object() || !j["schema"].contains("name") ||
      !j["schema"]["name"].is_string())
    return error("{}: no \"schema\" name: not a JSON output of inr (report reads {})", path, known_schemas());
  const std::string name = j["schema"]["name"].get<std::string>();
  const SchemaInfo* info = nullptr;
  for (const SchemaInfo& s : kSchemas)
    if (s.name == name) info = &s;
  if (info == nullptr) return error("{}: schema '{}' is not one report reads ({})", path, name, known_schemas());
  const int version = j["schema"].value("version", 0);
  if (version < 1 || version > info->version)
    return error("{}: {} version {}; this inr reads up to version {}", path, name, version, info->version);
  in.kind = info->kind;
  if (jsonl && in.kind != InputKind::kEvalJournal)
    return error("{}: more than one JSON value, and {} is a single object", path, name);
  if (in.kind == InputKind::kEvalJournal) {
    INR_ASSIGN_OR_RETURN(data::PredictionsFile pf, data::read_predictions(path));
    in.predictions = std::move(pf.predictions);
  }
  in.doc = std::move(j);
  return in;
}

}  // namespace inr::report
