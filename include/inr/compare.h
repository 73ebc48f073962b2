// Several classifiers (models or prediction files) judged side by side, as a library call: what
// `inr compare` does (the CLI parses flags, calls compare() and prints the table), and what the Python
// module's inr.compare() returns. The JSON layout is documented in tools/cli/compare.cc and README.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "inr/eval.h"
#include "inr/preprocess_options.h"
#include "inr/session.h"
#include "inr/status.h"

namespace inr {

struct CompareOptions {
  std::vector<std::string> sides;  // two or more .onnx models or prediction files; the first is the baseline
  SessionOptions session;          // for every model (no profiler)
  PreprocessOptions preprocess;
  DatasetSelection dataset;        // data empty: no accuracy (unless every side is a prediction file)
  std::string image;               // each model's top-5 on this image; "": none
  int batch = 0;                   // 0: the models' fixed batch, else 16 for accuracy and 1 for latency
  int decode_threads = 1;
  int latency_runs = 20;           // per model, round-robin; 0: no latency
  int latency_warmup = 2;
  std::string labels;              // class names file; "": the built-in ImageNet classes
  std::string flips, out_a, out_b;  // files to write (two sides; flips needs accuracy)
  std::function<void(size_t, size_t)> progress;
  std::function<void(const std::string&)> note;
};

// Schema inr.compare v1: provenance, "preprocess", "dataset" (with "description", "compared", "failed"),
// "image", "latency", "models" (one object per side: name, kind, path, bytes, sha256, made_by, params,
// params_by_dtype, params_text, latency_ms, top5_image, accuracy, vs_first) and, with two sides and accuracy,
// the pair fields "a", "b", "images", "failed", "top1_agreement(_ci)", "top1_mcnemar", "top5_mcnemar", "flips".
Result<nlohmann::json> compare(const CompareOptions& options);

}  // namespace inr
