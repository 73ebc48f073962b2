// `inr compare A B [--data DIR|LIST] [-p PRESET] [--batch N] [--threads N] [--limit N] [--shard K/N]
//              [--show N] [--flips FILE] [--out-a FILE] [--out-b FILE] [--json]`
//
// Judges two classifiers on the same images: the accuracy of each (top-1 / top-5 with 95% Wilson
// intervals), how often their top-1 agree, the paired accuracy delta B - A with its 95% interval and
// McNemar's test on the discordant pairs (exact binomial below 25 discordant images, chi-square with
// continuity correction above; data/metrics.h), and the images whose top-1 correctness flipped.
//
// A and B are each an ONNX model (run here; both models see the very same decoded batch) or a
// predictions file: an `inr eval --out` journal, or an ORT reference `path<TAB>label<TAB>top5` file
// (reference/*_imagenet_top5.tsv). That is how fp32 vs int8 (two models) and inr vs ORT (a model and a
// reference file) are judged. With two prediction files --data may be left out (the images are A's).
// Images that failed to decode on either side are counted and left out of the paired statistics.
#include <cstdio>
#include <filesystem>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "cli_errors.h"
#include "command.h"
#include "progress.h"
#include "core/file.h"
#include "data/labels.h"
#include "data/metrics.h"
#include "eval_common.h"
#include "drivers/eval_pipeline.h"
#include "preprocess_flags.h"
#include "session_flags.h"

namespace inr::cli {

namespace fs = std::filesystem;

namespace {

bool is_model_path(const std::string& p) { return fs::path(p).extension() == ".onnx"; }

struct Side {
  std::string name;  // as given
  std::unique_ptr<Session> session;
  std::unordered_map<std::string, data::Prediction> file;  // prediction-file side
  std::vector<data::Prediction> preds;                      // aligned with the samples
};

}  // namespace

Command make_compare_command(CLI::App& parent) {
  struct Flags {
    std::string a, b;
    SessionFlags session;
    PreprocessFlags pre;
    DatasetFlags dataset;
    int batch = 0;
    int decode_threads = kDefaultDecodeThreads;
    int show = 20;
    std::string flips, out_a, out_b, labels;
    bool json = false;
  };
  auto f = std::make_shared<Flags>();
  Command c;
  c.app = parent.add_subcommand("compare",
                                "Compare two models (or prediction files): accuracy, agreement, McNemar test, flips");
  c.app->add_option("a", f->a, "Model A (.onnx) or predictions (eval --out .jsonl, or reference .tsv)")->required();
  c.app->add_option("b", f->b, "Model B (.onnx) or predictions")->required();
  c.app->add_option("-O,--opt-level", f->session.opt_level, "Graph optimisation level: 0 none, 1 canonical, 2/99 all")
      ->check(one_of({"0", "1", "2", "99"}));
  c.app->add_option("--threads", f->session.threads, "Intra-op threads (0: the default)")
      ->check(at_least(0))
      ->default_str("OMP_NUM_THREADS, else all cores");
  c.app->add_option("-x,--backend", f->session.backend, "Backend: auto, onednn or reference")
      ->check(one_of({"auto", "onednn", "reference"}));
  add_preprocess_flags(c.app, f->pre);
  add_dataset_flags(c.app, f->dataset, /*required=*/false);
  c.app->add_option("--batch", f->batch, "Images per inference")
      ->check(at_least(1))
      ->default_str("the models' fixed batch, else 16");
  c.app->add_option("--decode-threads", f->decode_threads, "Threads decoding and preprocessing images")
      ->check(at_least(1));
  c.app->add_option("--show", f->show, "Flipped images to print (0: none)")->check(at_least(0));
  c.app->add_option("--flips", f->flips, "Write every flipped image (TSV: path label a_top1 b_top1 winner)");
  c.app->add_option("--out-a", f->out_a, "Write A's per-image predictions (JSONL) to this file");
  c.app->add_option("--out-b", f->out_b, "Write B's per-image predictions (JSONL) to this file");
  c.app->add_option("--labels", f->labels, "Class names for the flips")
      ->default_str("labels/imagenet_classes.txt of the data directory");
  c.app->add_flag("--json", f->json, "Print one JSON object");
  c.run = [f] {
    Side sides[2];
    sides[0].name = f->a;
    sides[1].name = f->b;
    for (Side& s : sides) {
      if (is_model_path(s.name)) continue;
      auto pf = data::read_predictions(s.name);
      if (!pf) return fail(pf.status());
      for (data::Prediction& p : pf->predictions) {
        std::string key = p.path;
        if (!s.file.emplace(key, std::move(p)).second) return fail(error("{}: '{}' appears twice", s.name, key));
      }
      if (s.file.empty()) return fail(error("{}: no predictions", s.name));
    }
    const bool any_model = is_model_path(f->a) || is_model_path(f->b);

    // The images: from --data, or (two prediction files) A's images, sorted by path.
    std::vector<data::Sample> samples;
    std::string description;
    if (!f->dataset.data.empty()) {
      auto sel = select_samples(f->dataset);
      if (!sel) return fail(sel.status());
      samples = std::move(sel->samples);
      description = sel->description;
      if (!sel->dataset.note.empty()) std::fprintf(stderr, "inr: note: %s\n", sel->dataset.note.c_str());
    } else {
      if (any_model) return fail(error("--data is needed to run a model"));
      for (const auto& [key, p] : sides[0].file) samples.push_back({key, key, p.label});
      std::sort(samples.begin(), samples.end(),
                [](const data::Sample& x, const data::Sample& y) { return x.key < y.key; });
      description = fmt::format("the {} images of {}", samples.size(), f->a);
    }
    if (samples.empty()) return fail(error("nothing to compare"));
    for (Side& s : sides) {
      if (s.file.empty()) continue;
      size_t missing = 0;
      std::string first;
      s.preds.reserve(samples.size());
      for (const data::Sample& smp : samples) {
        auto it = s.file.find(smp.key);
        if (it == s.file.end()) {
          if (missing++ == 0) first = smp.key;
          continue;
        }
        if (it->second.label != smp.label)
          return fail(error("{}: '{}' has label {}, the dataset says {}", s.name, smp.key, it->second.label, smp.label));
        s.preds.push_back(it->second);
      }
      if (missing)
        return fail(error("{}: no prediction for {} of the {} images (first: {})", s.name, missing, samples.size(), first));
    }

    // Run the model sides together: one decode per batch, both models on the same input.
    double seconds = 0;
    if (any_model) {
      auto spec = resolve(f->pre);
      if (!spec) return fail(spec.status());
      std::vector<Session*> sessions;
      std::vector<Side*> model_sides;
      int batch = f->batch;
      for (Side& s : sides) {
        if (!is_model_path(s.name)) continue;
        SessionFlags sf = f->session;
        sf.model = s.name;
        auto session = open_session(sf, nullptr);
        if (!session) return fail(session.status());
        s.session = std::move(*session);
        sessions.push_back(s.session.get());
        model_sides.push_back(&s);
      }
      // Both models must take the same batch: a fixed batch of either decides it.
      for (int pass = 0; pass < 2; ++pass)
        for (Side* s : model_sides) {
          auto b = resolve_batch(*s->session, batch, s->name);
          if (!b) return fail(b.status());
          batch = *b;
        }
      bool dynamic = true;
      for (Side* s : model_sides) dynamic = dynamic && s->session->inputs()[0].shape[0] < 0;
      if (dynamic) batch = static_cast<int>(std::min<size_t>(static_cast<size_t>(batch), samples.size()));
      for (Side* s : model_sides) {
        Status st = prepare_session(*s->session, *spec, batch, s->name);
        if (!st) return fail(st);
        s->preds.reserve(samples.size());
      }
      EvalPipelineOptions opts;
      opts.batch = batch;
      opts.decode_threads = f->decode_threads;
      opts.spec = *spec;
      opts.decode = decode_options(f->pre);
      auto bar = std::make_shared<ProgressBar>(stderr_is_tty());
      if (stderr_is_tty()) opts.progress = [bar](size_t done, size_t total) { bar->update(done, total); };
      auto stats = run_eval_pipeline(
          sessions, samples, opts,
          [&](std::span<const data::Sample>, std::span<const std::vector<data::Prediction>> per_model) -> Status {
            for (size_t m = 0; m < model_sides.size(); ++m)
              model_sides[m]->preds.insert(model_sides[m]->preds.end(), per_model[m].begin(), per_model[m].end());
            return Status::ok();
          });
      if (!stats) return fail(stats.status());
      seconds = stats->seconds;
    }

    // Paired statistics over the images both sides scored.
    data::Summary sum_a, sum_b;
    int64_t n = 0, failed = 0, agree1 = 0, b1 = 0, c1 = 0, b5 = 0, c5 = 0;
    struct Flip {
      size_t i;
      bool a_right;
    };
    std::vector<Flip> flips;
    for (size_t i = 0; i < samples.size(); ++i) {
      const data::Prediction& pa = sides[0].preds[i];
      const data::Prediction& pb = sides[1].preds[i];
      if (pa.failed() || pb.failed()) {
        ++failed;
        if (pa.failed()) std::fprintf(stderr, "inr: warning: %s\n", pa.error.c_str());
        else std::fprintf(stderr, "inr: warning: %s\n", pb.error.c_str());
        continue;
      }
      ++n;
      sum_a.add(pa);
      sum_b.add(pb);
      data::TopHit ha = data::top_hit(pa.top, pa.label), hb = data::top_hit(pb.top, pb.label);
      agree1 += pa.top[0] == pb.top[0];
      b1 += ha.top1 && !hb.top1;
      c1 += !ha.top1 && hb.top1;
      b5 += ha.top5 && !hb.top5;
      c5 += !ha.top5 && hb.top5;
      if (ha.top1 != hb.top1) flips.push_back({i, ha.top1});
    }
    data::McNemar m1 = data::mcnemar(b1, c1), m5 = data::mcnemar(b5, c5);
    data::PairedDelta d1 = data::paired_delta(b1, c1, n), d5 = data::paired_delta(b5, c5, n);
    data::Interval agree_ci = data::wilson_interval(agree1, n);

    data::Labels labels;
    {
      std::string lp = f->labels;
      std::string d = default_data_dir();
      if (lp.empty() && !d.empty() && fs::exists(fs::path(d) / "labels" / "imagenet_classes.txt"))
        lp = (fs::path(d) / "labels" / "imagenet_classes.txt").string();
      if (!lp.empty()) {
        auto l = data::load_labels(lp);
        if (!l) return fail(l.status());
        labels = std::move(*l);
      }
    }
    if (!f->flips.empty()) {
      std::string text = "path\tlabel\ta_top1\tb_top1\tright\n";
      for (const Flip& fl : flips) {
        const data::Prediction& pa = sides[0].preds[fl.i];
        text += fmt::format("{}\t{}\t{}\t{}\t{}\n", pa.path, pa.label, pa.top[0], sides[1].preds[fl.i].top[0],
                            fl.a_right ? "A" : "B");
      }
      Status st = write_file_atomic(f->flips, text);
      if (!st) return fail(st);
    }
    for (int k = 0; k < 2; ++k) {
      const std::string& out = k == 0 ? f->out_a : f->out_b;
      if (out.empty()) continue;
      std::string text;
      for (const data::Prediction& p : sides[k].preds) text += data::to_jsonl(p);
      Status st = write_file_atomic(out, text);
      if (!st) return fail(st);
    }

    auto mcnemar_json = [](const data::McNemar& m, const data::PairedDelta& d) {
      return nlohmann::json{{"a_only", m.b},       {"b_only", m.c},        {"test", m.exact ? "exact" : "chi2"},
                            {"statistic", m.statistic}, {"p_value", m.p_value}, {"delta", d.delta},
                            {"delta_ci", {d.ci.lo, d.ci.hi}}};
    };
    if (f->json) {
      nlohmann::json j = {{"a", {{"name", f->a}}}, {"b", {{"name", f->b}}}};
      j["a"].update(summary_json(sum_a));
      j["b"].update(summary_json(sum_b));
      j["images"] = n;
      j["failed"] = failed;
      j["top1_agreement"] = n ? static_cast<double>(agree1) / static_cast<double>(n) : 0.0;
      j["top1_agreement_ci"] = {agree_ci.lo, agree_ci.hi};
      j["top1_mcnemar"] = mcnemar_json(m1, d1);
      j["top5_mcnemar"] = mcnemar_json(m5, d5);
      nlohmann::json fl = nlohmann::json::array();
      for (const Flip& x : flips)
        fl.push_back({{"path", sides[0].preds[x.i].path},
                      {"label", sides[0].preds[x.i].label},
                      {"a_top1", sides[0].preds[x.i].top[0]},
                      {"b_top1", sides[1].preds[x.i].top[0]},
                      {"right", x.a_right ? "A" : "B"}});
      j["flips"] = fl;
      j["seconds"] = seconds;
      std::printf("%s\n", j.dump().c_str());
      return 0;
    }
    auto pct = [](double v) { return 100.0 * v; };
    std::printf("images      %s; %ld compared, %ld failed\n", description.c_str(), static_cast<long>(n),
                static_cast<long>(failed));
    std::printf("%-10s %24s %24s\n", "", "top-1 [95% CI]", "top-5 [95% CI]");
    for (int k = 0; k < 2; ++k) {
      const data::Summary& s = k == 0 ? sum_a : sum_b;
      data::Interval i1 = s.top1_ci(), i5 = s.top5_ci();
      std::printf("%-10s %7.2f%% [%5.2f, %5.2f] %7.2f%% [%5.2f, %5.2f]  %s\n", k == 0 ? "A" : "B", pct(s.top1_rate()),
                  pct(i1.lo), pct(i1.hi), pct(s.top5_rate()), pct(i5.lo), pct(i5.hi), k == 0 ? f->a.c_str() : f->b.c_str());
    }
    std::printf("agreement  top-1 %.2f%% (%ld/%ld) [%.2f, %.2f]\n", pct(n ? double(agree1) / double(n) : 0.0),
                static_cast<long>(agree1), static_cast<long>(n), pct(agree_ci.lo), pct(agree_ci.hi));
    auto print_test = [&](const char* what, const data::McNemar& m, const data::PairedDelta& d) {
      std::printf("%s  B - A = %+.2f%% [%+.2f, %+.2f]; only A right %ld, only B right %ld; McNemar %s p = %.4g\n", what,
                  pct(d.delta), pct(d.ci.lo), pct(d.ci.hi), static_cast<long>(m.b), static_cast<long>(m.c),
                  m.exact ? "exact binomial" : fmt::format("chi2 = {:.3f},", m.statistic).c_str(), m.p_value);
    };
    print_test("top-1 ", m1, d1);
    print_test("top-5 ", m5, d5);
    if (f->show > 0 && !flips.empty()) {
      std::printf("flipped top-1 (%zu):\n", flips.size());
      for (size_t k = 0; k < flips.size() && static_cast<int>(k) < f->show; ++k) {
        const data::Prediction& pa = sides[0].preds[flips[k].i];
        const data::Prediction& pb = sides[1].preds[flips[k].i];
        std::printf("  %s  label %d %s | A %d %s | B %d %s  (%s right)\n", pa.path.c_str(), pa.label,
                    labels.name(pa.label).c_str(), pa.top[0], labels.name(pa.top[0]).c_str(), pb.top[0],
                    labels.name(pb.top[0]).c_str(), flips[k].a_right ? "A" : "B");
      }
      if (flips.size() > static_cast<size_t>(f->show))
        std::printf("  ... %zu more (--flips FILE lists all)\n", flips.size() - static_cast<size_t>(f->show));
    }
    return 0;
  };
  return c;
}

}  // namespace inr::cli
