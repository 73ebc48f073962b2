// `inr classify -m MODEL -i IMAGE|DIR|'GLOB'|LIST.txt [-i ...] [-r START[,END]] [--batch N] [-k 5]
//               [--labels FILE] [--repeat N] [--json]`
//
// Top-k classes of each image (index, name, probability; softmax applied when the output is not already
// a probability vector) with the inference time per image, then the run's throughput. Inputs: several -i,
// folders (recursive), quoted glob patterns, list files with or without labels (data/dataset.h
// collect_image_args); `-r` is ucb-bar's runner's 1-based inclusive range over that list. Images go
// through the eval pipeline (eval_runner.h): decoded on a loader thread, run --batch at a time. When the
// list gives labels, top-1/top-5 over the labelled images are printed too.
//
// Class names: the 1000 ImageNet classes built into inr for a 1000-class model (1001: "background"
// first), or --labels FILE, whose line count must equal the model's classes.
//
// --json prints JSON lines: a header (schema inr.classify, provenance.h), one record per image with the
// keys of an eval journal (data/predictions.h: "image", "label" when known, "top", "scores", "names",
// "ms"; or "error"), and a last line with schema inr.classify.summary (images, failed, seconds,
// images_per_s, and top1/top5 when labelled). The output is a predictions file `inr compare` reads.
#include <cstdio>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli_errors.h"
#include "command.h"
#include "data/dataset.h"
#include "data/labels.h"
#include "data/predictions.h"
#include "eval_common.h"
#include "drivers/eval_pipeline.h"
#include "preprocess_flags.h"
#include "drivers/provenance.h"
#include "session_flags.h"

namespace inr::cli {

Command make_classify_command(CLI::App& parent) {
  struct Flags {
    SessionFlags session;
    PreprocessFlags pre;
    std::vector<std::string> images;
    std::string range, labels, pipeline = "auto";
    int k = 5;
    int repeat = 1;
    int batch = 0;
    int decode_threads = 0;
    bool json = false;
  };
  auto f = std::make_shared<Flags>();
  Command c;
  c.app = parent.add_subcommand("classify", "Classify images: top-k labels, time per image and throughput");
  // A few images do not repay weights transformed for speed; peak memory stays near the weights' own size
  // (issue #16: about 1.3x for ResNet50).
  f->session.weights = "compact";
  add_session_flags(c.app, f->session);
  add_preprocess_flags(c.app, f->pre);
  c.app->add_option("-i,--image", f->images,
                    "Image file, folder, quoted glob ('dir/*.jpg') or list file (.txt/.lst/.tsv: one path per "
                    "line, optionally followed by its class index); repeatable")
      ->required();
  c.app->add_option("-r,--range", f->range,
                    "Only images START..END of the list (1-based, inclusive; 'START' runs to the end), as in "
                    "ucb-bar's imagenet runner")
      ->check(parsed_by([](const std::string& s) { return data::parse_range(s).status(); }, "START[,END]"))
      ->default_str("all");
  c.app->add_option("-k,--top", f->k, "How many classes to print")->check(at_least(1));
  c.app->add_option("--labels", f->labels, "Class names, one per line")
      ->default_str("the ImageNet-1k classes built into inr");
  c.app->add_option("--batch", f->batch, "Images per inference")
      ->check(at_least(1))
      ->default_str("the model's fixed batch, else 1");
  c.app->add_option("--pipeline", f->pipeline,
                    "auto | overlap (decode the next batch during inference) | serial; as in inr eval")
      ->check(one_of({"auto", "overlap", "serial"}));
  c.app->add_option("--decode-threads", f->decode_threads, "Threads decoding images")
      ->check(in_range(1, kMaxDecodeThreads))
      ->default_str("1 when overlapping, all cores when serial");
  c.app->add_option("--repeat", f->repeat, "Run each batch this many times; the time printed is the median")
      ->check(at_least(1));
  c.app->add_flag("--json", f->json, "JSON lines: a header, one record per image, a summary");
  c.run = [f] {
    auto model = model_json(f->session.model);
    if (!model) return fail(model.status());
    auto collected = data::collect_image_args(f->images);
    if (!collected) return fail(collected.status());
    std::vector<data::Sample> samples = std::move(*collected);
    if (!f->range.empty()) {
      auto range = data::parse_range(f->range);
      if (!range) return fail(range.status());
      const size_t last = range->last ? range->last : samples.size();
      if (range->first > samples.size() || last > samples.size())
        return fail(error("-r {}: the list has {} image{}", f->range, samples.size(), samples.size() == 1 ? "" : "s"));
      samples = std::vector<data::Sample>(samples.begin() + static_cast<std::ptrdiff_t>(range->first - 1),
                                          samples.begin() + static_cast<std::ptrdiff_t>(last));
    }
    auto spec = resolve(f->pre);
    if (!spec) return fail(spec.status());

    Profiler profiler;
    auto session = open_session(f->session, &profiler);
    if (!session) return fail(session.status());
    Session& s = **session;
    auto batch = resolve_batch(s, f->batch == 0 && (s.inputs().empty() || s.inputs()[0].shape.empty() ||
                                                     s.inputs()[0].shape[0] < 0)
                                      ? 1
                                      : f->batch,
                               f->session.model);
    if (!batch) return fail(batch.status());
    int run_batch = *batch;
    if (s.inputs()[0].shape[0] < 0) run_batch = static_cast<int>(std::min<size_t>(run_batch, samples.size()));
    Status st = prepare_session(s, *spec, run_batch, f->session.model);
    if (!st) return fail(st);
    auto classes = output_classes(s, *spec, run_batch);
    if (!classes) return fail(classes.status());
    auto labels = data::labels_for_classes(f->labels, *classes);
    if (!labels) return fail(labels.status());
    st = check_labels(samples, *classes, "image list");
    if (!st) return fail(st);

    EvalPipelineOptions opts;
    opts.batch = run_batch;
    auto overlap = resolve_overlap(f->pipeline, f->session.threads);
    if (!overlap) return fail(overlap.status());
    opts.overlap = *overlap;
    opts.decode_threads = f->decode_threads ? f->decode_threads
                                            : (opts.overlap ? kDefaultDecodeThreads
                                                            : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
    opts.spec = *spec;
    opts.decode = decode_options(f->pre);
    opts.profiler = f->session.trace.empty() ? nullptr : &profiler;
    // No progress bar: results stream to stdout as they come.
    opts.top_k = f->k;
    opts.repeat = f->repeat;

    nlohmann::json header = provenance_base(kClassifySchema, 1, f->session.threads);
    header["model"] = *model;
    header["preprocess"] = preprocess_json(f->pre.preset, *spec);
    header["batch"] = run_batch;
    if (f->json) std::fputs(data::json_line(header).c_str(), stdout);
    data::Summary summary;
    int64_t labelled = 0;
    std::vector<std::string> failures;
    const bool many = samples.size() > 1;
    Session* sessions[] = {&s};
    auto stats = run_eval_pipeline(
        sessions, samples, opts,
        [&](std::span<const data::Sample>, std::span<const std::vector<data::Prediction>> per_model) -> Status {
          for (data::Prediction p : per_model[0]) {
            if (p.failed()) {
              failures.push_back(p.error);
              if (many) std::fprintf(stderr, "inr: warning: %s\n", p.error.c_str());
              if (f->json) std::fputs(data::to_jsonl(p).c_str(), stdout);
              continue;
            }
            if (p.label >= 0) {
              summary.add(p);
              ++labelled;
            }
            for (int idx : p.top) p.names.push_back(labels->name(idx));
            if (f->json) {
              std::fputs(data::to_jsonl(p).c_str(), stdout);
              continue;
            }
            std::printf("%s  (%.2f ms)\n", p.path.c_str(), p.ms);
            for (size_t i = 0; i < p.top.size(); ++i)
              std::printf("  %4d  %-40s %7.4f\n", p.top[i], p.names[i].c_str(), p.scores[i]);
            if (p.label >= 0)
              std::printf("  label %d %s: %s\n", p.label, labels->name(p.label).c_str(),
                          p.top[0] == p.label ? "top-1" : "not top-1");
          }
          std::fflush(stdout);
          return Status::ok();
        });
    if (!stats) return fail(stats.status());
    const double images_per_s = stats->seconds > 0 ? static_cast<double>(stats->images) / stats->seconds : 0.0;
    if (f->json) {
      nlohmann::json tail = {{"schema", schema_json("inr.classify.summary", 1)},
                             {"images", stats->images},
                             {"failed", failures.size()},
                             {"seconds", stats->seconds},
                             {"images_per_s", images_per_s},
                             {"batch", run_batch},
                             {"threads", effective_threads(f->session.threads)}};
      if (labelled) tail.update(summary_json(summary));
      tail["images"] = stats->images;
      tail["failed"] = failures.size();
      std::fputs(data::json_line(tail).c_str(), stdout);
    } else if (failures.size() < static_cast<size_t>(stats->images)) {  // all failed: the error line alone
      const int threads = effective_threads(f->session.threads);
      std::printf("%ld image%s in %.3f s: %.1f images/s  (batch %d, %d thread%s, decode %s; cpu tier %s)\n",
                  static_cast<long>(stats->images), stats->images == 1 ? "" : "s", stats->seconds, images_per_s,
                  run_batch, threads, threads == 1 ? "" : "s", opts.overlap ? "overlapped" : "serial",
                  cpu_tier_summary().c_str());
      if (labelled)
        std::printf("labelled    %ld: top-1 %ld (%.2f%%), top-5 %ld (%.2f%%)\n", static_cast<long>(summary.images),
                    static_cast<long>(summary.top1), 100 * summary.top1_rate(), static_cast<long>(summary.top5),
                    100 * summary.top5_rate());
    }
    if (!f->session.trace.empty()) {
      header["schema"] = schema_json(kTraceSchema, 1);
      st = write_eval_trace(profiler, f->session.trace, header);
      if (!st) return fail(st);
    }
    if (failures.size() == 1 && !many) return fail(error("{}", failures[0]));
    if (!failures.empty())
      return fail(error("{} of {} images failed (first: {})", failures.size(), samples.size(), failures[0]));
    return 0;
  };
  return c;
}

}  // namespace inr::cli
