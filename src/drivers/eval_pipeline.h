// The evaluation pipeline shared by `inr eval` and `inr compare`: decode + preprocess on a loader thread
// (image::BatchLoader with its own small pool) double-buffered against inference on the calling thread
// (the sessions' OpenMP pool), so batch i+1 is being decoded while batch i runs.
//
// Threads: the caller's thread runs every Session (Sessions and the Profiler are used only from it);
// one std::thread drives the BatchLoader, which uses `decode_threads` threads in all (the driver thread
// decodes too). Decode timings are taken on the loader thread and handed to the Profiler by the caller's
// thread, so the Profiler is never touched concurrently.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/profiler.h"
#include "data/dataset.h"
#include "data/predictions.h"
#include "image/preprocess.h"
#include "inr/session.h"

namespace inr {

// Decode threads when --decode-threads is not given. On the 2-core machine this was measured against
// 2 inference threads (see the eval.cc header): one decode thread keeps the loader ahead of inference
// for MobileNetV2, and more only steal cores from the OpenMP pool.
inline constexpr int kDefaultDecodeThreads = 1;
// Batch when neither --batch nor a fixed model batch says otherwise.
inline constexpr int kDefaultEvalBatch = 16;
// Classes kept per image in the predictions (top-5 accuracy needs 5).
inline constexpr int kEvalTopK = 5;

struct EvalPipelineOptions {
  int batch = kDefaultEvalBatch;  // every run uses this batch size; a short last batch is padded
  int decode_threads = kDefaultDecodeThreads;
  image::PreprocessSpec spec;
  image::DecodeOptions decode;
  Profiler* profiler = nullptr;  // eval-side "decode" and "batch" events; null: none
  // Called with (samples done, samples in all) after each batch; empty: nothing.
  std::function<void(size_t, size_t)> progress;
  int top_k = kEvalTopK;         // classes kept per image
  int repeat = 1;                // run each batch this many times; the time reported is the median
  // true: decode batch i+1 while batch i runs (double buffering). false: decode batch i+1 only after
  // batch i ran, so decoding and inference never share cores. When inference already has a thread on
  // every core, overlapping preempts one OpenMP thread and stalls every primitive's barrier; serial
  // decoding with all cores is then faster (measured on 2 cores: MobileNetV2 eval 300 -> see README).
  bool overlap = true;
};

// Whether to overlap decoding with inference, for --pipeline auto|overlap|serial: auto overlaps only
// when the inference threads leave a core free.
Result<bool> resolve_overlap(const std::string& pipeline, int inference_threads);

// Called on the caller's thread after each batch with the predictions of each session for the batch's
// samples (per_model[m][i] is sample i of the batch under session m). Returning an error stops the run.
using BatchCallback = std::function<Status(std::span<const data::Sample> batch,
                                           std::span<const std::vector<data::Prediction>> per_model)>;

struct EvalPipelineStats {
  double seconds = 0;     // wall time of the whole pipeline
  int64_t images = 0;     // samples processed (failed ones included)
  int64_t batches = 0;
};

// Checks that the preprocessing output and `batch` fit the session's (single) input, and compiles the
// session for [batch, ...] so no compile time lands in the timed loop.
Status prepare_session(Session& session, const image::PreprocessSpec& spec, int batch, const std::string& what);

// Input shape for a batch: the model's declared input shape with its dynamic leading dim set to `batch`.
Result<Shape> batch_input_shape(const IoInfo& input, int64_t batch);

// Classes the session's first output scores per image (its last dim at `batch`), after prepare_session.
Result<int64_t> output_classes(Session& session, const image::PreprocessSpec& spec, int batch);

// Every sample's label must be a class of the model: a label >= `classes` is an error naming the first such
// sample (a 1001-class list against a 1000-class model would otherwise score as silently wrong).
Status check_labels(std::span<const data::Sample> samples, int64_t classes, const std::string& what);

// The batch to use for a session: `requested` (0: not given) against a fixed leading dim of the model's
// input. A fixed batch wins when nothing is requested; a different request is an error naming both.
Result<int> resolve_batch(const Session& session, int requested, const std::string& what);

Result<EvalPipelineStats> run_eval_pipeline(std::span<Session* const> sessions, std::span<const data::Sample> samples,
                                            const EvalPipelineOptions& options, const BatchCallback& on_batch);

// Writes the profiler's events as a Chrome trace with the loader's "decode" events on their own track
// (tid 2, "loader") and everything else on tid 1 ("inference"), atomically.
// `other_data` (what made the trace: provenance.h) goes to the trace's "otherData" object, which
// Perfetto and chrome://tracing show as metadata.
Status write_eval_trace(const Profiler& profiler, const std::string& path, const nlohmann::json& other_data);


}  // namespace inr
