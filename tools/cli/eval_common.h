// Pieces shared by `inr eval`, `inr merge` and `inr compare`: dataset flags, and the accuracy summary
// as text and as the JSON object documented in eval.cc.
#pragma once

#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "data/predictions.h"

namespace inr::cli {

struct DatasetFlags {
  std::string data;          // folder or list file
  std::string ground_truth;  // Caffe val.txt for a flat folder
  std::string synsets;       // class order for wnid folders (default: the built-in ImageNet-1k wnids)
  int64_t limit = 0;         // first N samples (before sharding); 0: all
  int64_t sample = 0;        // class-balanced random N samples (before sharding); 0: all
  uint64_t seed = 0;         // seed of --sample
  std::string shard;         // "K/N", 1-based
};

// `required`: --data must be given.
void add_dataset_flags(CLI::App* app, DatasetFlags& f, bool required);

struct SelectedSamples {
  data::Dataset dataset;           // all samples
  std::vector<data::Sample> samples;  // after --limit and --shard
  std::string description;         // "imagenet/labels.tsv (list file): 1166 images, shard 1/3: 389"
  // {"root", "layout", "images" (after --limit/--sample, before --shard), "limit", "sample", "seed",
  //  "fingerprint" (sha256 of the selected keys and labels), "shard" ("K/N", only with --shard)}.
  nlohmann::json dataset_json;
};
Result<SelectedSamples> select_samples(const DatasetFlags& f);

// {"images", "failed", "top1", "top5", "top1_ci", "top5_ci", "top1_count", "top5_count", "inference_ms"}.
nlohmann::json summary_json(const data::Summary& s);
// Three lines: images / top-1 / top-5 with counts and 95% Wilson intervals.
std::string summary_text(const data::Summary& s);

}  // namespace inr::cli
