// A dataset selection (inr/eval.h DatasetSelection) -> the samples to run, with what they are for the
// outputs' provenance; and the accuracy summary as JSON and text, shared by eval, merge and compare.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "data/predictions.h"
#include "inr/eval.h"

namespace inr {

struct SelectedSamples {
  data::Dataset dataset;           // all samples
  std::vector<data::Sample> samples;  // after --limit and --shard
  std::string description;         // "imagenet/labels.tsv (list file): 1166 images, shard 1/3: 389"
  // {"root", "layout", "images" (after --limit/--sample, before --shard), "limit", "sample", "seed",
  //  "fingerprint" (sha256 of the selected keys and labels), "shard" ("K/N", only with --shard)}.
  nlohmann::json dataset_json;
  int64_t synsets = 0;             // classes in the --synsets file, when one was read (wnid folders); else 0
};
Result<SelectedSamples> select_samples(const DatasetSelection& selection);
// A --synsets list must name every class of the model, no more and no fewer: a 2-line list on a
// 1000-class model would score labels 0..1 only (issue #16).
Status check_synsets(const SelectedSamples& selected, const DatasetSelection& selection, int64_t classes);

// {"images", "failed", "top1", "top5", "top1_ci", "top5_ci", "top1_count", "top5_count", "inference_ms"}.
nlohmann::json summary_json(const data::Summary& s);
// Three lines: images / top-1 / top-5 with counts and 95% Wilson intervals.
std::string summary_text(const data::Summary& s);
// The counts back from summary_json's object.
data::Summary summary_from_json(const nlohmann::json& j);

}  // namespace inr
