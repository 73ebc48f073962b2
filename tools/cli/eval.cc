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
#include "drivers/eval_pipeline.h"
#include "inr/eval.h"
#include "progress.h"
#include "preprocess_flags.h"
#include "drivers/provenance.h"
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
      ->check(in_range(1, kMaxDecodeThreads))
      ->default_str(std::to_string(kDefaultDecodeThreads) + " when overlapping, all cores when serial");
  c.app->add_option("--out", f->out, "Per-image predictions, one JSON line per image (an append-only journal)");
  c.app->add_flag("--resume", f->resume, "Continue the --out journal of an interrupted run");
  c.app->add_flag("--json", f->json, "Print the summary as one JSON object");
  c.app->add_option("--summary", f->summary, "Also write the JSON summary to this file (atomically)");
  c.app->add_option("--max-failures", f->max_failures,
                    "Images that may fail to decode before the run counts as failed (exit 1, with the list)")
      ->check(at_least(0));
  c.run = [f] {
    Status st = apply_session_flags(f->session);
    if (!st) return fail(st);
    st = check_output_path(f->summary);  // before the run, not after its results (issue #16)
    if (!st) return fail(st);
    EvalOptions o;
    o.model = f->session.model;
    o.session = session_options(f->session);
    o.preprocess = f->pre;
    note_preset(f->pre);
    o.dataset = f->dataset;
    o.batch = f->batch;
    o.pipeline = f->pipeline;
    o.decode_threads = f->decode_threads;
    o.out = f->out;
    o.resume = f->resume;
    o.max_failures = f->max_failures;
    o.trace = f->session.trace;
    const bool tty = stderr_is_tty();
    o.progress = progress_callback(tty);
    o.note = [tty](const std::string& line) {
      if (tty) std::fputc('\n', stderr);  // below the progress line
      std::fprintf(stderr, "inr: %s\n", line.c_str());
    };
    auto r = evaluate(o);
    if (!r) return fail(r.status());
    const nlohmann::json& j = r->summary;
    // Every image failed: the error alone, no 0/0 table and no --summary (issue #16).
    if (j["images"].get<int64_t>() == 0 && !r->verdict) return fail(r->verdict);
    if (f->json) {
      std::printf("%s\n", j.dump().c_str());
    } else {
      const int resumed = j["resumed"].get<int>();
      const int decode = j["decode_threads"].get<int>();
      std::printf("dataset     %s\n", r->description.c_str());
      std::printf("model       %s  (batch %d, %d threads, %d decode thread%s, cpu tier %s)\n", f->session.model.c_str(),
                  j["batch"].get<int>(), j["threads"].get<int>(), decode, decode == 1 ? "" : "s",
                  cpu_tier_summary().c_str());
      if (resumed) std::printf("resumed     %d images from %s\n", resumed, f->out.c_str());
      std::printf("%s", summary_text(summary_from_json(j)).c_str());
      std::printf("throughput  %.1f images/s  (%ld images in %.2f s, decode + preprocess + inference)\n",
                  j["images_per_s"].get<double>(), j["evaluated_now"].get<long>(), j["seconds"].get<double>());
    }
    if (!f->summary.empty()) {
      st = write_file_atomic(f->summary, j.dump(2) + "\n");
      if (!st) return fail(st);
    }
    if (!r->verdict) return fail(r->verdict);
    return 0;
  };
  return c;
}

}  // namespace inr::cli
