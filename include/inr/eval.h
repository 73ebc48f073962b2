// Accuracy of a classifier on a labelled dataset, as a library call: what `inr eval` does (the CLI parses
// flags and calls evaluate()), and what the Python module's inr.evaluate() returns.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "inr/preprocess_options.h"
#include "inr/session.h"
#include "inr/status.h"

namespace inr {

// Which images of a dataset (layouts: src/data/dataset.h).
struct DatasetSelection {
  std::string data;          // folder or list file
  std::string ground_truth;  // Caffe val.txt for a flat folder
  std::string synsets;       // class order for wnid folders (default: the built-in ImageNet-1k wnids)
  int64_t limit = 0;         // first N samples (before sharding); 0: all
  int64_t sample = 0;        // class-balanced random N samples (before sharding); 0: all
  uint64_t seed = 0;         // seed of `sample`
  std::string shard;         // "K/N", 1-based; "auto": from a Slurm array / Kubernetes Indexed Job; "": all
};

struct EvalOptions {
  std::string model;
  SessionOptions session;
  PreprocessOptions preprocess;
  DatasetSelection dataset;
  int batch = 0;                    // 0: the model's fixed batch, else 16
  std::string pipeline = "auto";    // auto | overlap | serial
  int decode_threads = 0;           // 0: 1 when overlapping, every core when serial
  std::string out;                  // JSONL journal (data/predictions.h); "": none
  bool resume = false;              // continue `out`
  int64_t max_failures = 0;         // more failed images than this fails the run
  std::string trace;                // Chrome trace file; "": none
  // Called with (images done, images to do) after each batch; empty: no progress.
  std::function<void(size_t, size_t)> progress;
  // Notes and warnings for the user (one line each, without "inr: "); empty: dropped.
  std::function<void(const std::string&)> note;
};

struct EvalResult {
  // The summary, schema inr.eval.summary (README "Evaluation"): provenance, images, failed, top1, top5,
  // their intervals and counts, images_per_s, seconds, evaluated_now, resumed, batch, threads,
  // decode_threads, pipeline, failures (the failed images' keys).
  nlohmann::json summary;
  std::string description;  // "imagenet/labels.tsv (list file): 1166 images, shard 1/3: 389"
  // ok, or why the run counts as failed although it finished (every image failed, or more than
  // max_failures did): the CLI prints the summary and then this error.
  Status verdict;
};

Result<EvalResult> evaluate(const EvalOptions& options);

}  // namespace inr
