// Per-image predictions: the JSONL journal written by `inr eval --out` (and the lines of `inr classify
// --json`), read back by `--resume`, `inr merge` and `inr compare`, and the totals computed from it.
//
// File format: a header line, then one JSON object per image, each '\n'-terminated:
//   {"schema": {"name": "inr.eval.journal", "version": 1}, "model": {...}, "preprocess": {...}, ...}
//   {"image": "val/x.JPEG", "label": 65, "top": [65, 62, 58, 60, 63], "scores": [0.71, ...], "ms": 3.2}
//   {"image": "val/bad.JPEG", "label": 12, "error": "val/bad.JPEG: not a JPEG or PNG file"}
// The header is an object with a "schema" key (what made the file: tools/cli/provenance.h); the data layer
// stores it and leaves its meaning to the caller. "image" is the sample key (data/dataset.h); "label" the
// true class index (absent when unknown, e.g. classify on an unlabelled folder); "top" the class indices
// best first (5, or fewer when the model has fewer classes); "scores" their softmax probabilities; "names"
// (optional, classify) their class names; "ms" the inference time per image (the batch's time divided by
// its size). A line with "error" is an image that could not be read: it counts as failed and is excluded
// from the accuracy denominators.
//
// The journal is append-only, NOT written through a temp file + rename: it must survive a kill so that
// `--resume` can continue it. Each batch's lines go out in one write(2), so a kill leaves at most one torn
// (unterminated) last line, which the reader drops and `PredictionsJournal::open(resume)` truncates. An
// exclusive flock(2) held while the journal is open makes a second writer fail at once instead of
// interleaving its lines.
//
// The reader also accepts ORT reference files (`path<TAB>label<TAB>i1,i2,i3,i4,i5`, as in
// reference/*_imagenet_top5.tsv), so `inr compare` can judge a model against ORT's predictions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/metrics.h"
#include "inr/status.h"

namespace inr::data {

struct Prediction {
  std::string path;  // the sample key, "image" in JSON
  int label = -1;    // -1: unknown
  std::vector<int> top;       // best first
  std::vector<float> scores;  // same length as top, or empty (reference files)
  std::vector<std::string> names;  // class names of `top` (classify output), or empty
  double ms = 0;
  std::string error;  // non-empty: the image failed
  bool failed() const { return !error.empty(); }
};

// `j` as one '\n'-terminated JSON line (compact; invalid UTF-8 in strings replaced, never an exception): the
// form of every line of a predictions file, header and summary lines included.
std::string json_line(const nlohmann::json& j);
// One '\n'-terminated JSON line.
std::string to_jsonl(const Prediction& p);
// Parses one line (without its '\n'): a JSON object, or a reference TSV line. `where` prefixes errors.
Result<Prediction> parse_prediction(std::string_view line, const std::string& where);

struct PredictionsFile {
  nlohmann::json header;                // the first line when it is an object with "schema"; else null
  std::vector<Prediction> predictions;  // in file order
  bool dropped_torn_tail = false;       // the last line had no '\n' (a killed writer) and was dropped
  size_t valid_bytes = 0;               // length of the file up to the last complete line
};
// Reads every complete line; a malformed complete line is an error naming the file and line.
Result<PredictionsFile> read_predictions(const std::string& path);

// Append-only journal for `inr eval --out`.
class PredictionsJournal {
 public:
  // resume == false: `path` must not exist or be empty (an error otherwise, so a finished or killed run
  // is never clobbered by accident). resume == true: existing complete lines are loaded into existing()
  // and a torn last line is truncated away; an existing journal must have a header (the caller compares
  // existing().header with its own). A new or empty file gets `header` as its first line.
  // Fails when another process holds the journal open (flock).
  static Result<PredictionsJournal> open(const std::string& path, bool resume, const nlohmann::json& header);
  PredictionsJournal(PredictionsJournal&& other) noexcept;
  PredictionsJournal& operator=(PredictionsJournal&&) = delete;
  ~PredictionsJournal();

  const PredictionsFile& existing() const { return existing_; }
  // Appends the lines with a single write(2) (looping only on a short write).
  Status append(std::span<const Prediction> predictions);
  const std::string& path() const { return path_; }

 private:
  PredictionsJournal(std::string path, int fd, PredictionsFile existing);
  std::string path_;
  int fd_ = -1;
  PredictionsFile existing_;
  std::string buffer_;
};

// Totals over a set of predictions; everything eval prints except throughput.
struct Summary {
  int64_t images = 0;  // scored images (the accuracy denominator)
  int64_t failed = 0;  // unreadable images, not in `images`
  int64_t top1 = 0, top5 = 0;
  double inference_ms = 0;  // sum of per-image ms
  double top1_rate() const { return images ? static_cast<double>(top1) / static_cast<double>(images) : 0.0; }
  double top5_rate() const { return images ? static_cast<double>(top5) / static_cast<double>(images) : 0.0; }
  Interval top1_ci() const { return wilson_interval(top1, images); }
  Interval top5_ci() const { return wilson_interval(top5, images); }
  void add(const Prediction& p);
};
Summary summarize(std::span<const Prediction> predictions);

// Concatenates prediction files (shards), sorted by path. The same path in two places is an error (the
// shards overlap, or a file was given twice).
Result<std::vector<Prediction>> merge_predictions(std::span<const PredictionsFile> files,
                                                  std::span<const std::string> names);

}  // namespace inr::data
