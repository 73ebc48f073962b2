// Internal to the report layer: loading the files `inr report` reads and telling them apart by schema.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/predictions.h"
#include "inr/status.h"

namespace inr::report {

enum class InputKind { kEvalSummary, kMergeSummary, kEvalJournal, kCompare, kBench, kProfile, kQuantize };

struct Input {
  std::string path;
  std::string name;  // file name, for captions
  InputKind kind = InputKind::kEvalSummary;
  nlohmann::json doc;  // the JSON object (a journal: its header line)
  std::vector<data::Prediction> predictions;  // a journal's lines
};

// The schema names inr writes (src/drivers/provenance.h; the report layer sits below drivers) and the
// newest version of each this reader understands.
struct SchemaInfo {
  std::string_view name;
  int version;
  InputKind kind;
};
inline constexpr SchemaInfo kSchemas[] = {
    {"inr.eval.summary", 1, InputKind::kEvalSummary}, {"inr.merge.summary", 1, InputKind::kMergeSummary},
    {"inr.eval.journal", 1, InputKind::kEvalJournal}, {"inr.compare", 1, InputKind::kCompare},
    {"inr.bench", 1, InputKind::kBench},               {"inr.profile", 1, InputKind::kProfile},
    {"inr.quantize.summary", 1, InputKind::kQuantize},
};

// Reads `path`: one JSON object, or JSONL whose first line is an inr.eval.journal header. Errors name the
// file: unreadable, not JSON, no "schema", a schema not in kSchemas, or a newer version.
Result<Input> load_input(const std::string& path);

}  // namespace inr::report
