// Distributed calibration in the drivers: the provenance header of an observer file (quant/observer_io.h),
// and reading the files of all shards back into one set of observers, refusing files that do not belong
// together or do not fit the run that uses them.
//
// Header (JSON, schema inr.quantize.observers v1):
//   {"schema", "inr_version", "cpu_tier", "threads",
//    "model": {"path", "bytes", "sha256"}, "preprocess": {...}, "calibrator": "entropy", "bins": 2048,
//    "dataset": {"root", "layout": "calibration images", "images" (all shards), "limit", "sample", "seed",
//                "fingerprint" (sha256 of the image paths relative to the root, in order), "batch", "shard"},
//    "images_used", "images_failed", "skipped_images": [...]}
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "inr/status.h"
#include "quant/observer.h"

namespace inr {

// What a run that calibrates (one shard) or uses observers (all shards) is: compared field by field.
struct ObserverRun {
  nlohmann::json model;       // model_json()
  nlohmann::json preprocess;  // preprocess_json()
  std::string calibrator;
  int bins = 0;
  std::vector<std::string> tensors;  // quant::observed_tensors() of the run
};

struct MergedObservers {
  std::map<std::string, quant::Observer> observers;  // merged over every shard
  nlohmann::json dataset;                            // the shards' common selection, without "shard"
  size_t shards = 0;
  size_t images_used = 0, images_failed = 0;
  std::vector<std::string> skipped_images;
  std::vector<std::string> notes;  // warnings for the user (shards on different CPU tiers)
};

// Reads every file, checks that they are the shards 1..N of one calibration (same inr version, model,
// preprocessing, calibrator, bins, image selection and batch; every shard exactly once) and that they fit
// `run` (same model, preprocessing, calibrator, bins and observed tensors), and merges them. Every
// refusal is one line naming the file and the field.
Result<MergedObservers> read_observer_shards(const std::vector<std::string>& paths, const ObserverRun& run);

}  // namespace inr
