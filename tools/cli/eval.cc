// `inr eval -m MODEL --data DIR|LIST [-p PRESET] [--batch N] [--threads N] [--decode-threads N] [--limit N]
//           [--shard K/N] [--out preds.jsonl] [--resume] [--json] [--summary FILE] [-t trace.json]`
//
// Accuracy of a classifier on a labelled dataset (layouts: data/dataset.h): top-1 / top-5 with 95%
// Wilson intervals, unreadable images (counted, listed on stderr, excluded from the denominators), and
// end-to-end throughput (decode + preprocess + inference, wall clock). --json prints one object:
//   {"images": N, "failed": F, "top1": .., "top5": .., "top1_ci": [lo, hi], "top5_ci": [lo, hi],
//    "images_per_s": .., ...}
// with fractions in 0..1 and `images` the scored images (failed ones not included).
//
// --out is a journal, not an atomic output: one JSON line per image (data/predictions.h), appended and
// flushed once per batch with a single write(2), so a killed run loses at most the batch in flight and
// `--resume` continues it with no lost or duplicated lines (a torn last line is dropped). The totals are
// recomputed from the journal alone (what `inr merge` does), so a resumed run prints the same summary as
// an uninterrupted one. --summary FILE writes the JSON summary atomically (temp file + rename).
//
// Pipeline and threads (eval_runner.h): the BatchLoader decodes batch i+1 on its own thread(s) while
// batch i runs on the session's OpenMP pool. Defaults: --decode-threads 1, inference threads from
// --threads (else OMP_NUM_THREADS / all cores). On the 2-core dev machine one decode thread beside
// 2 OpenMP threads was the best measured split (see the issue note for the numbers); decoding a
// 227-256 px JPEG and resizing it costs a small fraction of a MobileNetV2 inference, so a second decode
// thread only steals a core from inference.
#include <thread>
#include <chrono>
#include <cstdio>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli_errors.h"
#include "command.h"
#include "core/file.h"
#include "eval_common.h"
#include "eval_runner.h"
#include "preprocess_flags.h"
#include "provenance.h"
#include "session_flags.h"

namespace inr::cli {

Command make_eval_command(CLI::App& parent) {
  struct Flags {
    SessionFlags session;
    PreprocessFlags pre;
    DatasetFlags dataset;
    int batch = 0;
    int decode_threads = 0;  // 0: kDefaultDecodeThreads when overlapping, every core when serial
    std::string pipeline = "auto";
    std::string out, summary;
    bool resume = false;
    bool json = false;
    int64_t max_failures = 0;
  };
  auto f = std::make_shared<Flags>();
  Command c;
  c.app = parent.add_subcommand("eval", "Accuracy (top-1/top-5 with confidence intervals) and throughput on a dataset");
  add_session_flags(c.app, f->session);
  add_preprocess_flags(c.app, f->pre);
  add_dataset_flags(c.app, f->dataset, /*required=*/true);
  c.app->add_option("--batch", f->batch, "Images per inference")
      ->check(at_least(1))
      ->default_str("the model's fixed batch, else " + std::to_string(kDefaultEvalBatch));
  c.app->add_option("--pipeline", f->pipeline,
                    "auto | overlap (decode the next batch during inference) | serial (decode between "
                    "inferences with every core); auto overlaps only when inference leaves a core free")
      ->check(one_of({"auto", "overlap", "serial"}));
  c.app->add_option("--decode-threads", f->decode_threads,
                    "Threads decoding and preprocessing images")
      ->check(at_least(1))
      ->default_str(std::to_string(kDefaultDecodeThreads) + " when overlapping, all cores when serial");
  c.app->add_option("--out", f->out, "Per-image predictions, one JSON line per image (an append-only journal)");
  c.app->add_flag("--resume", f->resume, "Continue the --out journal of an interrupted run");
  c.app->add_flag("--json", f->json, "Print the summary as one JSON object");
  c.app->add_option("--summary", f->summary, "Also write the JSON summary to this file (atomically)");
  c.app->add_option("--max-failures", f->max_failures,
                    "Images that may fail to decode before the run counts as failed (exit 1, with the list)")
      ->check(at_least(0));
  c.run = [f] {
    if (f->resume && f->out.empty()) return fail(error("--resume needs --out FILE (the journal to continue)"));
    auto selected = select_samples(f->dataset);
    if (!selected) return fail(selected.status());
    const std::vector<data::Sample>& samples = selected->samples;
    if (samples.empty()) return fail(error("{}: nothing to evaluate", selected->description));
    if (!selected->dataset.note.empty()) std::fprintf(stderr, "inr: note: %s\n", selected->dataset.note.c_str());
    auto spec = resolve(f->pre);
    if (!spec) return fail(spec.status());
    auto model = model_json(f->session.model);
    if (!model) return fail(model.status());
    // What this run is: the journal's header and the summary's provenance.
    nlohmann::json run = provenance_base(kEvalJournalSchema, 1, f->session.threads);
    run["model"] = *model;
    run["preprocess"] = preprocess_json(f->pre.preset, *spec);
    run["dataset"] = selected->dataset_json;

    // The journal: what a previous run already did, checked against this run's samples.
    std::optional<data::PredictionsJournal> journal;
    data::Summary summary;
    std::vector<data::Sample> todo;
    std::vector<std::string> failures;
    int64_t resumed = 0;
    if (!f->out.empty()) {
      auto j = data::PredictionsJournal::open(f->out, f->resume, run);
      if (!j) return fail(j.status());
      journal.emplace(std::move(*j));
      const nlohmann::json& old = journal->existing().header;
      Status same = check_schema(old, kEvalJournalSchema, 1, f->out);
      if (same) same = check_same_run(old, f->out, run, "this run");
      if (same && old["dataset"].value("shard", "") != run["dataset"].value("shard", ""))
        same = error("{} is shard '{}', this run is shard '{}'", f->out, old["dataset"].value("shard", "(none)"),
                     run["dataset"].value("shard", "(none)"));
      if (!same) return fail(error("cannot --resume: {}", same.message()));
      std::unordered_set<std::string> wanted;
      for (const data::Sample& s : samples) wanted.insert(s.key);
      std::unordered_set<std::string> done;
      for (const data::Prediction& p : journal->existing().predictions) {
        if (!wanted.count(p.path))
          return fail(error("{}: '{}' is not in this run's images (a different --data, --limit or --shard?)", f->out,
                            p.path));
        if (!done.insert(p.path).second) return fail(error("{}: '{}' appears twice", f->out, p.path));
        summary.add(p);
        if (p.failed()) failures.push_back(p.path);
      }
      resumed = static_cast<int64_t>(done.size());
      for (const data::Sample& s : samples)
        if (!done.count(s.key)) todo.push_back(s);
      if (journal->existing().dropped_torn_tail)
        std::fprintf(stderr, "inr: note: %s: dropped a torn last line (the previous run was killed mid-write)\n",
                     f->out.c_str());
    } else {
      todo = samples;
    }

    Profiler profiler;
    auto session = open_session(f->session, &profiler);
    if (!session) return fail(session.status());
    Session& s = **session;
    auto batch = resolve_batch(s, f->batch, f->session.model);
    if (!batch) return fail(batch.status());
    // A dynamic batch never needs to exceed the work left (a --limit 5 run is not padded to 16).
    int run_batch = *batch;
    if (s.inputs()[0].shape[0] < 0 && !todo.empty())
      run_batch = static_cast<int>(std::min<size_t>(static_cast<size_t>(run_batch), todo.size()));
    if (!todo.empty()) {
      Status st = prepare_session(s, *spec, run_batch, f->session.model);
      if (!st) return fail(st);
      auto classes = output_classes(s, *spec, run_batch);
      if (!classes) return fail(classes.status());
      st = check_labels(samples, *classes, f->dataset.data);
      if (!st) return fail(st);
    }

    EvalPipelineOptions opts;
    opts.batch = run_batch;
    auto overlap = resolve_overlap(f->pipeline, f->session.threads);
    if (!overlap) return fail(overlap.status());
    opts.overlap = *overlap;
    if (f->decode_threads == 0)
      f->decode_threads = opts.overlap ? kDefaultDecodeThreads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    opts.decode_threads = f->decode_threads;
    opts.spec = *spec;
    opts.decode = decode_options(f->pre);
    opts.profiler = f->session.trace.empty() ? nullptr : &profiler;
    opts.progress = stderr_is_tty();
    Session* sessions[] = {&s};
    auto stats = run_eval_pipeline(
        sessions, todo, opts,
        [&](std::span<const data::Sample>, std::span<const std::vector<data::Prediction>> per_model) -> Status {
          const std::vector<data::Prediction>& preds = per_model[0];
          if (journal) INR_TRY(journal->append(preds));
          for (const data::Prediction& p : preds) {
            summary.add(p);
            if (p.failed()) {
              if (opts.progress) std::fputc('\n', stderr);
              std::fprintf(stderr, "inr: warning: %s\n", p.error.c_str());
              failures.push_back(p.path);
            }
          }
          return Status::ok();
        });
    if (!stats) return fail(stats.status());
    const double images_per_s = stats->seconds > 0 ? static_cast<double>(stats->images) / stats->seconds : 0.0;

    nlohmann::json j = provenance_base(kEvalSummarySchema, 1, f->session.threads);
    for (const char* k : {"model", "preprocess", "dataset"}) j[k] = run[k];
    j.update(summary_json(summary));
    j["images_per_s"] = images_per_s;
    j["seconds"] = stats->seconds;
    j["evaluated_now"] = stats->images;
    j["resumed"] = resumed;
    j["batch"] = run_batch;
    j["decode_threads"] = f->decode_threads;
    j["pipeline"] = opts.overlap ? "overlap" : "serial";
    j["failures"] = failures;
    if (f->json) {
      std::printf("%s\n", j.dump().c_str());
    } else {
      std::printf("dataset     %s\n", selected->description.c_str());
      std::printf("model       %s  (batch %d, %d threads, %d decode thread%s, cpu tier %s)\n", f->session.model.c_str(),
                  run_batch, effective_threads(f->session.threads), f->decode_threads, f->decode_threads == 1 ? "" : "s",
                  cpu_tier_summary().c_str());
      if (resumed) std::printf("resumed     %ld images from %s\n", static_cast<long>(resumed), f->out.c_str());
      std::printf("%s", summary_text(summary).c_str());
      std::printf("throughput  %.1f images/s  (%ld images in %.2f s, decode + preprocess + inference)\n", images_per_s,
                  static_cast<long>(stats->images), stats->seconds);
      if (selected->dataset.skipped_files)
        std::printf("skipped     %ld non-image files\n", static_cast<long>(selected->dataset.skipped_files));
    }
    if (!f->summary.empty()) {
      Status st = write_file_atomic(f->summary, j.dump(2) + "\n");
      if (!st) return fail(st);
    }
    if (!f->session.trace.empty()) {
      nlohmann::json other = run;
      other["schema"] = schema_json(kTraceSchema, 1);
      Status st = write_eval_trace(profiler, f->session.trace, other);
      if (!st) return fail(st);
    }
    if (summary.images == 0)
      return fail(error("no image could be scored: all {} failed (first: {})", failures.size(),
                        failures.empty() ? "?" : failures.front()));
    if (static_cast<int64_t>(failures.size()) > f->max_failures) {
      std::string list;
      for (size_t i = 0; i < failures.size() && i < 10; ++i) list += (i ? ", " : "") + failures[i];
      if (failures.size() > 10) list += fmt::format(", ... ({} more)", failures.size() - 10);
      return fail(error("{} image{} failed (--max-failures {}): {}", failures.size(), failures.size() == 1 ? "" : "s",
                        f->max_failures, list));
    }
    return 0;
  };
  return c;
}

}  // namespace inr::cli
