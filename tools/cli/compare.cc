// `inr compare A B [C ...] [--data DIR|LIST] [-i IMAGE] [-p PRESET] [--batch N] [--threads N]
//              [--latency-runs N] [--latency-warmup N] [--limit N] [--shard K/N] [--show N] [--flips FILE]
//              [--out-a FILE] [--out-b FILE] [--labels FILE] [--json]`
//
// Judges two or more classifiers side by side, one table row per side (A, B, C, ...):
//  - for a model: file size, parameters by dtype (the graph's initializers, as `inr info` counts them) and
//    the p50 latency at one batch and thread count for every model, measured round-robin (A, B, C, A, B,
//    C, ...; latency.h) so a busy phase of a shared machine is spread over all of them;
//  - with -i IMAGE: each model's top-5 on it (index, name, probability; the same numbers as `inr classify`);
//  - with --data: the accuracy of each side (top-1 / top-5 with 95% Wilson intervals) and, for every side
//    after A, its paired delta against A with a 95% interval, McNemar's test on the discordant pairs (exact
//    binomial below 25 discordant images, chi-square with continuity correction above; data/metrics.h) and
//    its top-1 agreement with A. With exactly two sides the flipped images are listed as well.
//
// A side is an ONNX model (run here; every model sees the very same decoded batch) or a predictions file:
// an `inr eval --out` journal, or an ORT reference `path<TAB>label<TAB>top5` file
// (reference/*_imagenet_top5.tsv); a predictions file has an accuracy and nothing else. That is how fp32
// vs int8 (models) and inr vs ORT (a model and a reference file) are judged. With only prediction files
// --data may be left out (the images are A's). Images that failed to decode on any side are counted and
// left out of every accuracy and paired statistic, so all rows are over the same images.
//
// --json prints one object: the provenance (provenance.h; schema inr.compare v1), "preprocess" when a model
// runs, "dataset", "image", "latency" (how it was measured) and "models": one object per side in order,
// {"name", "kind", "path", "bytes", "sha256", "made_by", "params", "params_by_dtype", "latency_ms",
// "top5_image", "accuracy", "vs_first"} (keys absent when they do not apply; "vs_first" absent for A;
// "made_by" is the model an `inr eval --out` journal names in its header). With exactly two
// sides it also keeps the pair fields of the two-sided report: "a", "b", "images", "failed",
// "top1_agreement", "top1_agreement_ci", "top1_mcnemar", "top5_mcnemar", "flips", "seconds".
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli_errors.h"
#include "command.h"
#include "core/file.h"
#include "data/labels.h"
#include "eval_common.h"
#include "inr/compare.h"
#include "preprocess_flags.h"
#include "progress.h"
#include "session_flags.h"
#include "text_table.h"

namespace inr::cli {

namespace fs = std::filesystem;

namespace {

// Defaults of the flags (the library's CompareOptions has the same).
constexpr int kDefaultLatencyRuns = 20;
constexpr int kDefaultLatencyWarmup = 2;

std::string pct_ci(const nlohmann::json& acc, const char* rate, const char* ci) {
  return fmt::format("{:.2f} [{:.1f}, {:.1f}]", 100 * acc[rate].get<double>(), 100 * acc[ci][0].get<double>(),
                     100 * acc[ci][1].get<double>());
}

// "13.3 MiB", "812 KiB", "96 B".
std::string human_bytes(uint64_t b) {
  if (b >= (1u << 20)) return fmt::format("{:.1f} MiB", static_cast<double>(b) / (1 << 20));
  if (b >= (1u << 10)) return fmt::format("{:.0f} KiB", static_cast<double>(b) / (1 << 10));
  return fmt::format("{} B", b);
}

}  // namespace

Command make_compare_command(CLI::App& parent) {
  struct Flags {
    std::vector<std::string> sides;
    SessionFlags session;
    PreprocessFlags pre;
    DatasetFlags dataset;
    std::string image;
    int batch = 0;
    int decode_threads = 1;
    int latency_runs = kDefaultLatencyRuns;
    int latency_warmup = kDefaultLatencyWarmup;
    int show = 20;
    std::string flips, out_a, out_b, labels;
    bool json = false;
  };
  auto f = std::make_shared<Flags>();
  Command c;
  c.app = parent.add_subcommand(
      "compare",
      "Compare models (or prediction files) side by side: size, parameters, latency, top-5 on an image, accuracy, "
      "paired delta and McNemar test against the first");
  c.app->add_option("sides", f->sides,
                    "Two or more models (.onnx) or predictions (eval --out .jsonl, or reference .tsv); the first (A) "
                    "is the baseline")
      ->required();
  c.app->add_option("-O,--opt-level", f->session.opt_level, "Graph optimisation level: 0 none, 1 canonical, 2/99 all")
      ->check(one_of({"0", "1", "2", "99"}));
  c.app->add_option("--threads", f->session.threads, "Intra-op threads (0: the default)")
      ->check(in_range(0, kMaxSessionThreads))
      ->default_str("OMP_NUM_THREADS, else all cores");
  c.app->add_option("-x,--backend", f->session.backend, "Backend: auto, onednn or reference")
      ->check(one_of({"auto", "onednn", "reference"}));
  add_preprocess_flags(c.app, f->pre);
  add_dataset_flags(c.app, f->dataset, /*required=*/false);
  c.app->add_option("-i,--image", f->image, "Show each model's top-5 on this image");
  c.app->add_option("--batch", f->batch,
                    "Images per inference, for accuracy and latency (default: the models' fixed batch, else 16 for "
                    "accuracy and 1 for latency)")
      ->check(at_least(1));
  c.app->add_option("--decode-threads", f->decode_threads, "Threads decoding and preprocessing images")
      ->check(in_range(1, kMaxDecodeThreads));
  c.app->add_option("--latency-runs", f->latency_runs,
                    "Timed runs per model, alternating between the models (0: no latency)")
      ->check(at_least(0));
  c.app->add_option("--latency-warmup", f->latency_warmup, "Untimed rounds before them")
      ->check(at_least(0));
  c.app->add_option("--show", f->show, "Flipped images to print, with two sides (0: none)")
      ->check(at_least(0));
  c.app->add_option("--flips", f->flips,
                    "Write every flipped image, with two sides (TSV: path label a_top1 b_top1 winner)");
  c.app->add_option("--out-a", f->out_a, "Write A's per-image predictions (JSONL) to this file");
  c.app->add_option("--out-b", f->out_b, "Write B's per-image predictions (JSONL) to this file");
  c.app->add_option("--labels", f->labels,
                    "Class names for the top-5 and the flips (default: the built-in ImageNet classes)");
  c.app->add_flag("--json", f->json, "Print one JSON object");
  c.run = [f] {
    Status st = apply_session_flags(f->session);
    if (!st) return fail(st);
    for (const std::string* out : {&f->flips, &f->out_a, &f->out_b})  // before the run (issue #16)
      if (st = check_output_path(*out); !st) return fail(st);
    CompareOptions o;
    o.sides = f->sides;
    // The models (not prediction files) are preprocessed with -p: the caffe2 note as before the driver.
    if (std::any_of(f->sides.begin(), f->sides.end(), [](const std::string& p) { return fs::path(p).extension() == ".onnx"; }))
      note_preset(f->pre);
    o.session = session_options(f->session);
    o.preprocess = f->pre;
    o.dataset = f->dataset;
    o.image = f->image;
    o.batch = f->batch;
    o.decode_threads = f->decode_threads;
    o.latency_runs = f->latency_runs;
    o.latency_warmup = f->latency_warmup;
    o.labels = f->labels;
    o.flips = f->flips;
    o.out_a = f->out_a;
    o.out_b = f->out_b;
    const bool tty = stderr_is_tty();
    o.progress = progress_callback(tty);
    o.note = [](const std::string& line) { std::fprintf(stderr, "inr: %s\n", line.c_str()); };
    auto r = compare(o);
    if (!r) return fail(r.status());
    const nlohmann::json& j = *r;
    if (f->json) {
      std::printf("%s\n", j.dump().c_str());
      return 0;
    }
    data::Labels labels = data::imagenet_labels();
    if (!f->labels.empty()) {
      auto l = data::load_labels(f->labels);
      if (!l) return fail(l.status());
      labels = std::move(*l);
    }
    // Text: a few lines on how it was measured, the table, then the paired tests in words.
    const nlohmann::json& models = j["models"];
    const bool accuracy = j.contains("dataset");
    const bool latency = j.contains("latency");
    bool any_model = false;
    for (const auto& m : models) any_model = any_model || m["kind"] == "model";
    std::printf("cpu tier    %s, %d threads\n", cpu_tier_summary().c_str(), j["threads"].get<int>());
    if (accuracy)
      std::printf("images      %s; %ld compared, %ld failed\n", j["dataset"]["description"].get<std::string>().c_str(),
                  j["dataset"]["compared"].get<long>(), j["dataset"]["failed"].get<long>());
    if (latency)
      std::printf("latency     p50 of %d runs per model at batch %d, alternating between the models\n",
                  j["latency"]["runs"].get<int>(), j["latency"]["batch"].get<int>());
    TextTable table;
    using Align = TextTable::Align;
    table.add_column("", Align::kLeft);
    table.add_column("model", Align::kLeft);
    if (any_model) {
      table.add_column("size", Align::kRight);
      table.add_column("params", Align::kLeft);
    }
    if (latency) table.add_column("p50 ms", Align::kRight);
    if (accuracy) {
      table.add_column("top-1 % [95% CI]", Align::kLeft);
      table.add_column("top-5 % [95% CI]", Align::kLeft);
      table.add_column("top-1 vs A [95% CI]", Align::kLeft);
      table.add_column("McNemar p", Align::kRight);
      table.add_column("agree", Align::kRight);
    }
    if (!f->image.empty()) table.add_column("top-5 on " + fs::path(f->image).filename().string(), Align::kLeft);
    for (size_t k = 0; k < models.size(); ++k) {
      const nlohmann::json& m = models[k];
      const bool model = m["kind"] == "model";
      std::vector<std::vector<std::string>> row = {{m["name"].get<std::string>()},
                                                   {fs::path(f->sides[k]).filename().string()}};
      if (any_model) {
        row.push_back({model ? human_bytes(m["bytes"].get<uint64_t>()) : "-"});
        row.push_back({model ? m["params_text"].get<std::string>() : "-"});
      }
      if (latency) row.push_back({m.contains("latency_ms") ? fmt::format("{:.2f}", m["latency_ms"]["p50"].get<double>()) : "-"});
      if (accuracy) {
        const nlohmann::json& acc = m["accuracy"];
        row.push_back({pct_ci(acc, "top1", "top1_ci")});
        row.push_back({pct_ci(acc, "top5", "top5_ci")});
        if (!m.contains("vs_first")) {
          row.push_back({"-"});
          row.push_back({"-"});
          row.push_back({"-"});
        } else {
          const nlohmann::json& v = m["vs_first"];
          row.push_back({fmt::format("{:+.2f} [{:+.1f}, {:+.1f}]", 100 * v["delta"].get<double>(),
                                     100 * v["ci"][0].get<double>(), 100 * v["ci"][1].get<double>())});
          row.push_back({fmt::format("{:.3g}", v["mcnemar_p"].get<double>())});
          row.push_back({fmt::format("{:.1f}%", 100 * v["top1_agreement"].get<double>())});
        }
      }
      if (!f->image.empty()) {
        std::vector<std::string> lines;
        if (m.contains("top5_image"))
          for (const auto& c : m["top5_image"])
            lines.push_back(fmt::format("{:>3} {} {:.3f}", c["index"].get<int>(), c["name"].get<std::string>(),
                                        c["score"].get<double>()));
        if (lines.empty()) lines.push_back("-");
        row.push_back(std::move(lines));
      }
      table.add_row(std::move(row));
    }
    std::printf("\n%s", table.render().c_str());
    if (!accuracy) return 0;
    std::printf("\n");
    for (size_t k = 1; k < models.size(); ++k) {
      const nlohmann::json& v = models[k]["vs_first"];
      const std::string x = models[k]["name"].get<std::string>();
      const nlohmann::json& t1 = v["top1"];
      const int64_t agree_n = j["dataset"]["compared"].get<int64_t>();
      std::printf("%s vs A  top-1 agreement %.2f%% (%ld/%ld) [%.2f, %.2f]\n", x.c_str(),
                  100 * v["top1_agreement"].get<double>(),
                  static_cast<long>(std::llround(v["top1_agreement"].get<double>() * static_cast<double>(agree_n))),
                  static_cast<long>(agree_n), 100 * v["top1_agreement_ci"][0].get<double>(),
                  100 * v["top1_agreement_ci"][1].get<double>());
      (void)t1;
      for (const char* what : {"top1", "top5"}) {
        const nlohmann::json& m = v[what];
        const bool exact = m["test"] == "exact";
        std::printf("        %s %s - A = %+.2f%% [%+.2f, %+.2f]; only A right %ld, only %s right %ld; McNemar %s p = %.4g\n",
                    std::string(what) == "top1" ? "top-1" : "top-5", x.c_str(), 100 * m["delta"].get<double>(),
                    100 * m["delta_ci"][0].get<double>(), 100 * m["delta_ci"][1].get<double>(),
                    m["a_only"].get<long>(), x.c_str(), m["b_only"].get<long>(),
                    exact ? "exact binomial" : fmt::format("chi2 = {:.3f},", m["statistic"].get<double>()).c_str(),
                    m["p_value"].get<double>());
      }
    }
    if (models.size() == 2 && f->show > 0 && j.contains("flips") && !j["flips"].empty()) {
      const nlohmann::json& flips = j["flips"];
      std::printf("flipped top-1 (%zu):\n", flips.size());
      for (size_t k = 0; k < flips.size() && static_cast<int>(k) < f->show; ++k) {
        const nlohmann::json& fl = flips[k];
        const int label = fl["label"].get<int>(), a = fl["a_top1"].get<int>(), b = fl["b_top1"].get<int>();
        std::printf("  %s  label %d %s | A %d %s | B %d %s  (%s right)\n", fl["path"].get<std::string>().c_str(), label,
                    labels.name(label).c_str(), a, labels.name(a).c_str(), b, labels.name(b).c_str(),
                    fl["right"].get<std::string>().c_str());
      }
      if (flips.size() > static_cast<size_t>(f->show))
        std::printf("  ... %zu more (--flips FILE lists all)\n", flips.size() - static_cast<size_t>(f->show));
    }
    return 0;
  };
  return c;
}

}  // namespace inr::cli
