// inr::evaluate (include/inr/eval.h): the work of `inr eval`. Pipeline and threads: eval_pipeline.h.
// The journal (data/predictions.h) starts with this run's provenance (provenance.h); a resumed journal
// must have been written by the same model, preprocessing, dataset selection and shard.
#include <algorithm>
#include <optional>
#include <thread>
#include <unordered_set>

#include <fmt/format.h>

#include "core/profiler.h"
#include "data/predictions.h"
#include "drivers/dataset_select.h"
#include "drivers/eval_pipeline.h"
#include "drivers/preprocess_options.h"
#include "drivers/provenance.h"
#include "inr/eval.h"

namespace inr {

Result<EvalResult> evaluate(const EvalOptions& o) {
  auto note = [&](const std::string& line) {
    if (o.note) o.note(line);
  };
  if (o.resume && o.out.empty()) return error("--resume needs --out FILE (the journal to continue)");
  INR_ASSIGN_OR_RETURN(SelectedSamples selected, select_samples(o.dataset));
  const std::vector<data::Sample>& samples = selected.samples;
  if (samples.empty()) return error("{}: nothing to evaluate", selected.description);
  if (!selected.dataset.note.empty()) note("note: " + selected.dataset.note);
  INR_ASSIGN_OR_RETURN(image::PreprocessSpec spec, resolve_preprocess(o.preprocess));
  INR_ASSIGN_OR_RETURN(nlohmann::json model, model_json(o.model));
  // What this run is: the journal's header and the summary's provenance.
  nlohmann::json run = provenance_base(kEvalJournalSchema, 1, o.session.threads);
  run["model"] = model;
  run["preprocess"] = preprocess_json(o.preprocess.preset, spec);
  run["dataset"] = selected.dataset_json;

  // The journal: what a previous run already did, checked against this run's samples.
  std::optional<data::PredictionsJournal> journal;
  data::Summary summary;
  std::vector<data::Sample> todo;
  std::vector<std::string> failures;
  int64_t resumed = 0;
  if (!o.out.empty()) {
    INR_ASSIGN_OR_RETURN(data::PredictionsJournal j, data::PredictionsJournal::open(o.out, o.resume, run));
    journal.emplace(std::move(j));
    const nlohmann::json& old = journal->existing().header;
    Status same = check_schema(old, kEvalJournalSchema, 1, o.out);
    if (same) same = check_same_run(old, o.out, run, "this run");
    if (same && old["dataset"].value("shard", "") != run["dataset"].value("shard", ""))
      same = error("{} is shard '{}', this run is shard '{}'", o.out, old["dataset"].value("shard", "(none)"),
                   run["dataset"].value("shard", "(none)"));
    if (!same) return error("cannot --resume: {}", same.message());
    std::unordered_set<std::string> wanted;
    for (const data::Sample& s : samples) wanted.insert(s.key);
    std::unordered_set<std::string> done;
    for (const data::Prediction& p : journal->existing().predictions) {
      if (!wanted.count(p.path))
        return error("{}: '{}' is not in this run's images (a different --data, --limit or --shard?)", o.out, p.path);
      if (!done.insert(p.path).second) return error("{}: '{}' appears twice", o.out, p.path);
      summary.add(p);
      if (p.failed()) failures.push_back(p.path);
    }
    resumed = static_cast<int64_t>(done.size());
    for (const data::Sample& s : samples)
      if (!done.count(s.key)) todo.push_back(s);
    if (journal->existing().dropped_torn_tail)
      note(fmt::format("note: {}: dropped a torn last line (the previous run was killed mid-write)", o.out));
  } else {
    todo = samples;
  }

  Profiler profiler;
  SessionOptions so = o.session;
  if (!o.trace.empty()) so.profiler = &profiler;
  INR_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Session::load(o.model, so));
  Session& s = *session;
  INR_ASSIGN_OR_RETURN(int batch, resolve_batch(s, o.batch, o.model));
  // A dynamic batch never needs to exceed the work left (a --limit 5 run is not padded to 16).
  int run_batch = batch;
  if (s.inputs()[0].shape[0] < 0 && !todo.empty())
    run_batch = static_cast<int>(std::min<size_t>(static_cast<size_t>(run_batch), todo.size()));
  if (!todo.empty()) {
    INR_TRY(prepare_session(s, spec, run_batch, o.model));
    INR_ASSIGN_OR_RETURN(int64_t classes, output_classes(s, spec, run_batch));
    INR_TRY(check_synsets(selected, o.dataset, classes));
    INR_TRY(check_labels(samples, classes, o.dataset.data));
  }

  EvalPipelineOptions opts;
  opts.batch = run_batch;
  INR_ASSIGN_OR_RETURN(opts.overlap, resolve_overlap(o.pipeline, o.session.threads));
  opts.decode_threads = o.decode_threads ? o.decode_threads
                                         : (opts.overlap ? kDefaultDecodeThreads
                                                         : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  opts.spec = spec;
  opts.decode = decode_options(o.preprocess);
  opts.profiler = o.trace.empty() ? nullptr : &profiler;
  opts.progress = o.progress;
  Session* sessions[] = {&s};
  INR_ASSIGN_OR_RETURN(
      EvalPipelineStats stats,
      run_eval_pipeline(sessions, todo, opts,
                        [&](std::span<const data::Sample>,
                            std::span<const std::vector<data::Prediction>> per_model) -> Status {
                          const std::vector<data::Prediction>& preds = per_model[0];
                          if (journal) INR_TRY(journal->append(preds));
                          for (const data::Prediction& p : preds) {
                            summary.add(p);
                            if (p.failed()) {
                              note("warning: " + p.error);
                              failures.push_back(p.path);
                            }
                          }
                          return Status::ok();
                        }));
  const double images_per_s = stats.seconds > 0 ? static_cast<double>(stats.images) / stats.seconds : 0.0;

  EvalResult r;
  r.description = selected.description;
  if (selected.dataset.skipped_files) r.description += fmt::format(" ({} non-image files skipped)", selected.dataset.skipped_files);
  nlohmann::json& j = r.summary;
  j = provenance_base(kEvalSummarySchema, 1, o.session.threads);
  for (const char* k : {"model", "preprocess", "dataset"}) j[k] = run[k];
  j.update(summary_json(summary));
  j["images_per_s"] = images_per_s;
  j["seconds"] = stats.seconds;
  j["evaluated_now"] = stats.images;
  j["resumed"] = resumed;
  j["batch"] = run_batch;
  j["decode_threads"] = opts.decode_threads;
  j["pipeline"] = opts.overlap ? "overlap" : "serial";
  j["failures"] = failures;
  if (!o.trace.empty()) {
    nlohmann::json other = run;
    other["schema"] = schema_json(kTraceSchema, 1);
    INR_TRY(write_eval_trace(profiler, o.trace, other));
  }
  if (summary.images == 0) {
    r.verdict = error("no image could be scored: all {} failed (first: {})", failures.size(),
                      failures.empty() ? "?" : failures.front());
  } else if (static_cast<int64_t>(failures.size()) > o.max_failures) {
    std::string list;
    for (size_t i = 0; i < failures.size() && i < 10; ++i) list += (i ? ", " : "") + failures[i];
    if (failures.size() > 10) list += fmt::format(", ... ({} more)", failures.size() - 10);
    r.verdict = error("{} image{} failed (--max-failures {}): {}", failures.size(), failures.size() == 1 ? "" : "s",
                      o.max_failures, list);
  }
  return r;
}

}  // namespace inr
