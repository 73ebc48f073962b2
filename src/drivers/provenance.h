// What made an output. Every JSON / JSONL file inr writes carries a "schema" (name + version) and the
// facts that decide its numbers: inr version, CPU tier, threads actually used, the model (path, size,
// sha256), the preprocessing (preset and every parameter) and, for dataset runs, the dataset selection.
// Readers (`eval --resume`, `merge`, `compare`) compare these and refuse a mismatch instead of mixing
// results from different models, presets or datasets.
//
// Layout of the object (keys absent when they do not apply):
//   {"schema": {"name": "inr.eval.summary", "version": 1},
//    "inr_version": "0.1.0", "cpu_tier": "avx2", "threads": 2,
//    "model": {"path": "m.onnx", "bytes": 13966194, "sha256": "7c5d..."},
//    "preprocess": {"preset": "torchvision", "resize": "shorter 256", "interp": "pil_bilinear",
//                   "crop": [224, 224], "value_range": 255, "mean": [..], "std": [..], "channels": "rgb",
//                   "layout": "nchw", "output": "f32"},
//    "dataset": {"root": "imagenet/val", "layout": "wnid folders", "images": 966, "limit": 0,
//                "sample": 0, "seed": 0, "fingerprint": "9f2c...", "shard": "1/3"}}
// The dataset root is recorded but not compared (shards may see the data under other mount points);
// the fingerprint (sha256 of the selected keys and labels) is.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "image/preprocess.h"
#include "inr/status.h"

namespace inr {

// Schema names in use (bump the version when a field changes meaning):
inline constexpr std::string_view kEvalJournalSchema = "inr.eval.journal";   // eval --out header line
inline constexpr std::string_view kEvalSummarySchema = "inr.eval.summary";   // eval --json / --summary
inline constexpr std::string_view kMergeSummarySchema = "inr.merge.summary"; // merge --json / --summary
inline constexpr std::string_view kClassifySchema = "inr.classify";          // classify --json lines
inline constexpr std::string_view kBenchSchema = "inr.bench";                // bench --json
inline constexpr std::string_view kCompareSchema = "inr.compare";            // compare --json
inline constexpr std::string_view kQuantizeSchema = "inr.quantize.summary"; // quantize_model()
inline constexpr std::string_view kObserversSchema = "inr.quantize.observers";  // observer file header
inline constexpr std::string_view kObserversSummarySchema = "inr.quantize.observers_summary";  // --save-observers
inline constexpr std::string_view kProfileSchema = "inr.profile";            // profile --json
inline constexpr std::string_view kTraceSchema = "inr.trace";                // otherData of eval/classify -t

// "avx2 (capped by INR_MAX_ISA; the CPU has avx512_vnni)" or "avx512_vnni": the CPU tier in force.
std::string cpu_tier_summary();
// "2.6.3": the oneDNN library inr runs with (its run-time version, not the headers').
std::string onednn_version();

// {"name": name, "version": version}
nlohmann::json schema_json(std::string_view name, int version = 1);

// Threads the session's OpenMP pool really uses: `requested` when > 0, else omp_get_max_threads().
int effective_threads(int requested);

// {"path", "bytes", "sha256"} of a model file (the hash is computed once per path per process).
Result<nlohmann::json> model_json(const std::string& path);

// {"preset", "resize", "interp", "crop", "value_range", "mean", "std", "channels", "layout", "output"}.
nlohmann::json preprocess_json(std::string_view preset, const image::PreprocessSpec& spec);

// {"schema", "inr_version", "cpu_tier", "threads"}: the part every output has.
nlohmann::json provenance_base(std::string_view schema, int version, int requested_threads);

// Compares the parts of two provenance objects that decide predictions: model sha256, preprocess, and
// (when both have one) the dataset selection except the shard. Returns an error naming the first field
// that differs, as "<what_a> was made with <field> X, <what_b> with Y".
Status check_same_run(const nlohmann::json& a, const std::string& what_a, const nlohmann::json& b,
                      const std::string& what_b, bool compare_dataset = true);

// Checks that `j` carries {"schema": {"name": name, "version": <= version}}; errors name `what`.
Status check_schema(const nlohmann::json& j, std::string_view name, int version, const std::string& what);

}  // namespace inr
