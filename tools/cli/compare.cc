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
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli_errors.h"
#include "command.h"
#include "progress.h"
#include "core/file.h"
#include "data/labels.h"
#include "data/metrics.h"
#include "eval_common.h"
#include "drivers/eval_pipeline.h"
#include "ir/graph.h"
#include "drivers/latency.h"
#include "onnx/onnx_io.h"
#include "preprocess_flags.h"
#include "drivers/provenance.h"
#include "session_flags.h"
#include "text_table.h"

namespace inr::cli {

namespace fs = std::filesystem;

namespace {

constexpr int kCompareSchemaVersion = 1;
// Latency defaults: enough rounds for a stable median of a small model on a shared 2-core machine, few
// enough that four models cost seconds, not minutes.
constexpr int kDefaultLatencyRuns = 20;
constexpr int kDefaultLatencyWarmup = 2;
constexpr uint32_t kLatencySeed = 1;
// Classes shown for -i IMAGE.
constexpr int kImageTopK = 5;
// Dtypes holding less than this share of a model's parameters are left out of the text table (scales,
// zero points, shape constants); --json lists every dtype.
constexpr double kParamsTextMinShare = 0.001;

bool is_model_path(const std::string& p) { return fs::path(p).extension() == ".onnx"; }

std::string side_letter(size_t i) { return i < 26 ? std::string(1, static_cast<char>('A' + i)) : fmt::format("#{}", i + 1); }

struct ImageClass {
  int index = 0;
  float prob = 0;
};

struct Side {
  std::string name;    // as given
  std::string letter;  // A, B, ...
  bool model = false;
  nlohmann::json file;     // {"path", "bytes", "sha256"}
  nlohmann::json made_by;  // a journal's header "model": the model that made the predictions (else null)
  std::unique_ptr<Session> session;
  std::map<DType, ConstantTotals> params;
  std::unordered_map<std::string, data::Prediction> file_preds;  // prediction-file side
  std::vector<data::Prediction> preds;                             // aligned with the samples
  std::optional<LatencyStats> latency;
  std::vector<ImageClass> image_top;  // -i IMAGE
};

// Paired outcomes of side X against side A over the images every side scored.
struct Paired {
  int64_t n = 0, agree1 = 0, b1 = 0, c1 = 0, b5 = 0, c5 = 0;  // b: only A right, c: only X right
  data::McNemar m1, m5;
  data::PairedDelta d1, d5;
  data::Interval agree_ci;
  struct Flip {
    size_t i;
    bool a_right;
  };
  std::vector<Flip> flips;  // top-1 correctness differs
};

Paired pair_outcomes(const std::vector<data::Prediction>& a, const std::vector<data::Prediction>& x,
                     const std::vector<char>& scored) {
  Paired p;
  for (size_t i = 0; i < scored.size(); ++i) {
    if (!scored[i]) continue;
    ++p.n;
    data::TopHit ha = data::top_hit(a[i].top, a[i].label), hx = data::top_hit(x[i].top, x[i].label);
    p.agree1 += a[i].top[0] == x[i].top[0];
    p.b1 += ha.top1 && !hx.top1;
    p.c1 += !ha.top1 && hx.top1;
    p.b5 += ha.top5 && !hx.top5;
    p.c5 += !ha.top5 && hx.top5;
    if (ha.top1 != hx.top1) p.flips.push_back({i, ha.top1});
  }
  p.m1 = data::mcnemar(p.b1, p.c1);
  p.m5 = data::mcnemar(p.b5, p.c5);
  p.d1 = data::paired_delta(p.b1, p.c1, p.n);
  p.d5 = data::paired_delta(p.b5, p.c5, p.n);
  p.agree_ci = data::wilson_interval(p.agree1, p.n);
  return p;
}

// "13.3 MiB", "812 KiB", "96 B".
std::string human_bytes(uint64_t b) {
  if (b >= (1u << 20)) return fmt::format("{:.1f} MiB", static_cast<double>(b) / (1 << 20));
  if (b >= (1u << 10)) return fmt::format("{:.0f} KiB", static_cast<double>(b) / (1 << 10));
  return fmt::format("{} B", b);
}

// "3.5M", "34.1k", "320".
std::string human_count(int64_t n) {
  if (n >= 1000000) return fmt::format("{:.1f}M", static_cast<double>(n) / 1e6);
  if (n >= 1000) return fmt::format("{:.1f}k", static_cast<double>(n) / 1e3);
  return std::to_string(n);
}

int64_t total_params(const std::map<DType, ConstantTotals>& params) {
  int64_t total = 0;
  for (const auto& [dt, t] : params) total += t.values;
  return total;
}

// "3.5M u8 + 34.1k i32": the dtypes holding at least kParamsTextMinShare of the values, largest first.
std::string params_text(const std::map<DType, ConstantTotals>& params) {
  std::vector<std::pair<int64_t, DType>> order;
  for (const auto& [dt, t] : params) order.emplace_back(t.values, dt);
  std::sort(order.begin(), order.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
  const double total = static_cast<double>(total_params(params));
  std::string out;
  for (const auto& [n, dt] : order)
    if (out.empty() || static_cast<double>(n) >= kParamsTextMinShare * total)
      out += fmt::format("{}{} {}", out.empty() ? "" : " + ", human_count(n), dtype_name(dt));
  return out.empty() ? "0" : out;
}

// The batch all `models` run at: `requested` (0: not given), else the fixed batch of any model, else
// `fallback`. A model whose fixed batch differs is an error naming it (resolve_batch).
Result<int> common_batch(const std::vector<Side*>& models, int requested, int fallback) {
  int batch = requested;
  for (int pass = 0; pass < 2; ++pass)
    for (const Side* s : models) {
      INR_ASSIGN_OR_RETURN(int b, resolve_batch(*s->session, batch, s->name));
      if (batch != 0 || s->session->inputs()[0].shape[0] >= 0) batch = b;
    }
  return batch != 0 ? batch : fallback;
}

// Top-k of one preprocessed image (`chw`, one image's worth of the spec's output) under `session`, the way
// `inr classify` computes it: at batch 1 (or the model's fixed batch, every row the same image), softmax
// unless the output already is a probability vector.
Result<std::vector<ImageClass>> classify_image(Session& session, const image::PreprocessSpec& spec, const Tensor& chw,
                                               const std::string& what) {
  const int64_t fixed = session.inputs()[0].shape[0];
  const int batch = fixed > 0 ? static_cast<int>(fixed) : 1;
  INR_TRY(prepare_session(session, spec, batch, what));
  Shape shape = {batch};
  shape.insert(shape.end(), chw.shape().begin(), chw.shape().end());
  Tensor input = Tensor::empty(chw.dtype(), shape);
  for (int b = 0; b < batch; ++b)
    std::memcpy(static_cast<char*>(input.raw()) + static_cast<size_t>(b) * chw.bytes(), chw.raw(), chw.bytes());
  INR_ASSIGN_OR_RETURN(std::vector<Tensor> out, session.run(std::span<const Tensor>(&input, 1)));
  const Tensor& y = out[0];
  if (y.dtype() != DType::kF32)
    return error("{}: output '{}' is {}, expected f32 scores", what, session.outputs()[0].name, dtype_name(y.dtype()));
  const size_t classes = static_cast<size_t>(y.numel()) / static_cast<size_t>(batch);
  std::span<const float> scores = y.span<float>().first(classes);
  std::vector<float> probs(scores.begin(), scores.end());
  if (!data::is_probability_vector(scores)) data::softmax(scores, probs);
  std::vector<ImageClass> top;
  for (int idx : data::top_k(probs, kImageTopK)) top.push_back({idx, probs[static_cast<size_t>(idx)]});
  return top;
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
    int decode_threads = kDefaultDecodeThreads;
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
      ->check(at_least(0))
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
      ->check(at_least(1));
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
                    "Class names for the top-5 and the flips (default: imagenet_classes.txt of the data dir)");
  c.app->add_flag("--json", f->json, "Print one JSON object");
  c.run = [f] {
    const size_t n_sides = f->sides.size();
    if (n_sides < 2)
      return fail(error("compare needs at least two models or prediction files, got {}", n_sides));
    if (!f->flips.empty() && n_sides != 2)
      return fail(error("--flips lists the images that flipped between A and B: it needs exactly two sides, got {}",
                        n_sides));
    std::vector<Side> sides(n_sides);
    std::vector<Side*> model_sides;
    for (size_t k = 0; k < n_sides; ++k) {
      Side& s = sides[k];
      s.name = f->sides[k];
      s.letter = side_letter(k);
      s.model = is_model_path(s.name);
      auto file = model_json(s.name);  // also: the file exists and is readable, before anything is loaded
      if (!file) return fail(file.status());
      s.file = std::move(*file);
      if (s.model) model_sides.push_back(&s);
    }
    const bool any_model = !model_sides.empty(), any_file = model_sides.size() < n_sides;
    const bool have_data = !f->dataset.data.empty();
    if (any_model && !have_data && f->image.empty())
      return fail(error("give --data DIR|LIST (accuracy) and/or -i IMAGE (top-5) to compare models "
                        "(for speed alone: inr bench)"));
    if (any_model && any_file && !have_data)
      return fail(error("--data is needed to compare prediction files with models"));
    if (!any_model && !f->image.empty()) return fail(error("-i IMAGE needs at least one model (.onnx) side"));

    for (Side& s : sides) {
      if (s.model) continue;
      auto pf = data::read_predictions(s.name);
      if (!pf) return fail(pf.status());
      if (pf->header.is_object() && pf->header.contains("model")) s.made_by = pf->header["model"];
      for (data::Prediction& p : pf->predictions) {
        std::string key = p.path;
        if (!s.file_preds.emplace(key, std::move(p)).second)
          return fail(error("{}: '{}' appears twice", s.name, key));
      }
      if (s.file_preds.empty()) return fail(error("{}: no predictions", s.name));
    }

    // The images: from --data, or (only prediction files) A's images, sorted by path.
    const bool accuracy = have_data || !any_model;
    if (!accuracy && !(f->flips.empty() && f->out_a.empty() && f->out_b.empty()))
      return fail(error("--flips, --out-a and --out-b need --data (they list per-image predictions)"));
    std::vector<data::Sample> samples;
    std::string description;
    nlohmann::json dataset_json;
    if (have_data) {
      auto sel = select_samples(f->dataset);
      if (!sel) return fail(sel.status());
      samples = std::move(sel->samples);
      description = sel->description;
      dataset_json = sel->dataset_json;
      if (!sel->dataset.note.empty()) std::fprintf(stderr, "inr: note: %s\n", sel->dataset.note.c_str());
    } else if (accuracy) {
      for (const auto& [key, p] : sides[0].file_preds) samples.push_back({key, key, p.label});
      std::sort(samples.begin(), samples.end(),
                [](const data::Sample& x, const data::Sample& y) { return x.key < y.key; });
      description = fmt::format("the {} images of {}", samples.size(), sides[0].name);
      dataset_json = {{"root", nullptr}, {"layout", "the images of A"}, {"images", samples.size()}};
    }
    if (accuracy && samples.empty()) return fail(error("nothing to compare"));
    for (Side& s : sides) {
      if (s.model || !accuracy) continue;
      size_t missing = 0;
      std::string first;
      s.preds.reserve(samples.size());
      for (const data::Sample& smp : samples) {
        auto it = s.file_preds.find(smp.key);
        if (it == s.file_preds.end()) {
          if (missing++ == 0) first = smp.key;
          continue;
        }
        if (it->second.label != smp.label)
          return fail(
              error("{}: '{}' has label {}, the dataset says {}", s.name, smp.key, it->second.label, smp.label));
        s.preds.push_back(it->second);
      }
      if (missing)
        return fail(
            error("{}: no prediction for {} of the {} images (first: {})", s.name, missing, samples.size(), first));
    }

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

    // The models: parameters from the imported graph, then a session each.
    image::PreprocessSpec spec;
    for (Side* s : model_sides) {
      auto g = import_onnx_file(s->name);
      if (!g) return fail(g.status());
      s->params = constants_by_dtype(**g);
      SessionFlags sf = f->session;
      sf.model = s->name;
      auto session = open_session(sf, nullptr);
      if (!session) return fail(session.status());
      s->session = std::move(*session);
      if (s->session->inputs().size() != 1)
        return fail(error("{}: compare needs a model with one input, this one has {}", s->name,
                          s->session->inputs().size()));
    }
    if (any_model) {
      auto sp = resolve(f->pre);
      if (!sp) return fail(sp.status());
      spec = *sp;
    }
    std::vector<Session*> sessions;
    for (Side* s : model_sides) sessions.push_back(s->session.get());

    // -i IMAGE: decoded once, the same tensor for every model.
    if (!f->image.empty()) {
      image::Preprocessor pre(spec, decode_options(f->pre));
      Shape chw = image::output_shape(spec);
      if (shape_numel(chw) < 0) return fail(error("-i needs a preprocessing with a crop size (a fixed image shape)"));
      Tensor img = Tensor::empty(image::output_dtype(spec), chw);
      Status st = pre.run_file(f->image, img.raw(), img.bytes());
      if (!st) return fail(st);
      for (Side* s : model_sides) {
        auto top = classify_image(*s->session, spec, img, s->name);
        if (!top) return fail(top.status());
        s->image_top = std::move(*top);
      }
    }

    // Latency: every model at the same batch and threads, alternating between them.
    int latency_batch = 0;
    if (any_model && f->latency_runs > 0) {
      auto b = common_batch(model_sides, f->batch, 1);
      if (!b) return fail(b.status());
      latency_batch = *b;
      auto stats = round_robin_latency(sessions, latency_batch, f->latency_runs, f->latency_warmup, kLatencySeed);
      if (!stats) return fail(stats.status());
      for (size_t m = 0; m < model_sides.size(); ++m) model_sides[m]->latency = (*stats)[m];
    }

    // Accuracy: the model sides together, one decode per batch, every model on the same input.
    double seconds = 0;
    if (any_model && have_data) {
      auto b = common_batch(model_sides, f->batch, kDefaultEvalBatch);
      if (!b) return fail(b.status());
      int batch = *b;
      bool dynamic = true;
      for (Side* s : model_sides) dynamic = dynamic && s->session->inputs()[0].shape[0] < 0;
      if (dynamic) batch = static_cast<int>(std::min<size_t>(static_cast<size_t>(batch), samples.size()));
      for (Side* s : model_sides) {
        Status st = prepare_session(*s->session, spec, batch, s->name);
        if (!st) return fail(st);
        auto classes = output_classes(*s->session, spec, batch);
        if (!classes) return fail(classes.status());
        st = check_labels(samples, *classes, s->name);
        if (!st) return fail(st);
        s->preds.reserve(samples.size());
      }
      EvalPipelineOptions opts;
      opts.batch = batch;
      opts.decode_threads = f->decode_threads;
      opts.spec = spec;
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

    // Accuracy of each side and its pairing with A, over the images every side scored.
    std::vector<data::Summary> summaries(n_sides);
    std::vector<Paired> paired(n_sides);
    std::vector<char> scored(samples.size(), 1);
    int64_t n = 0, failed = 0;
    if (accuracy) {
      for (size_t i = 0; i < samples.size(); ++i) {
        for (const Side& s : sides)
          if (s.preds[i].failed()) {
            std::fprintf(stderr, "inr: warning: %s\n", s.preds[i].error.c_str());
            scored[i] = 0;
            break;
          }
        if (!scored[i]) {
          ++failed;
          continue;
        }
        ++n;
        for (size_t k = 0; k < n_sides; ++k) summaries[k].add(sides[k].preds[i]);
      }
      for (size_t k = 1; k < n_sides; ++k) paired[k] = pair_outcomes(sides[0].preds, sides[k].preds, scored);
    }

    if (!f->flips.empty()) {
      std::string text = "path\tlabel\ta_top1\tb_top1\tright\n";
      for (const Paired::Flip& fl : paired[1].flips) {
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
      for (const data::Prediction& p : sides[static_cast<size_t>(k)].preds) text += data::to_jsonl(p);
      Status st = write_file_atomic(out, text);
      if (!st) return fail(st);
    }

    if (f->json) {
      auto mcnemar_json = [](const data::McNemar& m, const data::PairedDelta& d) {
        return nlohmann::json{{"a_only", m.b},       {"b_only", m.c},        {"test", m.exact ? "exact" : "chi2"},
                              {"statistic", m.statistic}, {"p_value", m.p_value}, {"delta", d.delta},
                              {"delta_ci", {d.ci.lo, d.ci.hi}}};
      };
      nlohmann::json j = provenance_base(kCompareSchema, kCompareSchemaVersion, f->session.threads);
      if (any_model) j["preprocess"] = preprocess_json(f->pre.preset, spec);
      if (accuracy) {
        dataset_json["compared"] = n;
        dataset_json["failed"] = failed;
        j["dataset"] = dataset_json;
      }
      if (!f->image.empty()) j["image"] = f->image;
      if (latency_batch)
        j["latency"] = {{"batch", latency_batch},
                        {"runs", f->latency_runs},
                        {"warmup", f->latency_warmup},
                        {"order", "round-robin"}};
      nlohmann::json models = nlohmann::json::array();
      for (size_t k = 0; k < n_sides; ++k) {
        const Side& s = sides[k];
        nlohmann::json m = {{"name", s.letter}, {"kind", s.model ? "model" : "predictions"}};
        m.update(s.file);
        if (!s.made_by.is_null()) m["made_by"] = s.made_by;
        if (s.model) {
          nlohmann::json by = nlohmann::json::object();
          for (const auto& [dt, t] : s.params) by[std::string(dtype_name(dt))] = t.values;
          m["params"] = total_params(s.params);
          m["params_by_dtype"] = by;
        }
        if (s.latency)
          m["latency_ms"] = {{"batch", s.latency->batch}, {"runs", s.latency->runs}, {"p50", s.latency->stats.p50},
                             {"p90", s.latency->stats.p90},  {"min", s.latency->stats.min}, {"max", s.latency->stats.max}};
        if (!s.image_top.empty()) {
          m["top5_image"] = nlohmann::json::array();
          for (const ImageClass& ic : s.image_top)
            m["top5_image"].push_back({{"index", ic.index}, {"name", labels.name(ic.index)}, {"score", ic.prob}});
        }
        if (accuracy) {
          m["accuracy"] = summary_json(summaries[k]);
          if (k > 0) {
            const Paired& p = paired[k];
            m["vs_first"] = {{"delta", p.d1.delta},
                             {"ci", {p.d1.ci.lo, p.d1.ci.hi}},
                             {"mcnemar_p", p.m1.p_value},
                             {"top1_agreement", p.n ? static_cast<double>(p.agree1) / static_cast<double>(p.n) : 0.0},
                             {"top1_agreement_ci", {p.agree_ci.lo, p.agree_ci.hi}},
                             {"top1", mcnemar_json(p.m1, p.d1)},
                             {"top5", mcnemar_json(p.m5, p.d5)}};
          }
        }
        models.push_back(m);
      }
      j["models"] = models;
      if (n_sides == 2 && accuracy) {
        const Paired& p = paired[1];
        j["a"] = {{"name", sides[0].name}};
        j["b"] = {{"name", sides[1].name}};
        j["a"].update(summary_json(summaries[0]));
        j["b"].update(summary_json(summaries[1]));
        j["images"] = n;
        j["failed"] = failed;
        j["top1_agreement"] = p.n ? static_cast<double>(p.agree1) / static_cast<double>(p.n) : 0.0;
        j["top1_agreement_ci"] = {p.agree_ci.lo, p.agree_ci.hi};
        j["top1_mcnemar"] = mcnemar_json(p.m1, p.d1);
        j["top5_mcnemar"] = mcnemar_json(p.m5, p.d5);
        nlohmann::json fl = nlohmann::json::array();
        for (const Paired::Flip& x : p.flips)
          fl.push_back({{"path", sides[0].preds[x.i].path},
                        {"label", sides[0].preds[x.i].label},
                        {"a_top1", sides[0].preds[x.i].top[0]},
                        {"b_top1", sides[1].preds[x.i].top[0]},
                        {"right", x.a_right ? "A" : "B"}});
        j["flips"] = fl;
      }
      j["seconds"] = seconds;
      std::printf("%s\n", j.dump().c_str());
      return 0;
    }

    // Text: a few lines on how it was measured, the table, then the paired tests in words.
    auto pct = [](double v) { return 100.0 * v; };
    std::printf("cpu tier    %s, %d threads\n", cpu_tier_summary().c_str(), effective_threads(f->session.threads));
    if (accuracy)
      std::printf("images      %s; %ld compared, %ld failed\n", description.c_str(), static_cast<long>(n),
                  static_cast<long>(failed));
    if (latency_batch)
      std::printf("latency     p50 of %d runs per model at batch %d, alternating between the models\n",
                  f->latency_runs, latency_batch);
    TextTable table;
    using Align = TextTable::Align;
    table.add_column("", Align::kLeft);
    table.add_column("model", Align::kLeft);
    if (any_model) {
      table.add_column("size", Align::kRight);
      table.add_column("params", Align::kLeft);
    }
    if (latency_batch) table.add_column("p50 ms", Align::kRight);
    if (accuracy) {
      table.add_column("top-1 % [95% CI]", Align::kLeft);
      table.add_column("top-5 % [95% CI]", Align::kLeft);
      table.add_column("top-1 vs A [95% CI]", Align::kLeft);
      table.add_column("McNemar p", Align::kRight);
      table.add_column("agree", Align::kRight);
    }
    if (!f->image.empty()) table.add_column("top-5 on " + fs::path(f->image).filename().string(), Align::kLeft);
    for (size_t k = 0; k < n_sides; ++k) {
      const Side& s = sides[k];
      std::vector<std::vector<std::string>> row = {{s.letter}, {fs::path(s.name).filename().string()}};
      if (any_model) {
        row.push_back({s.model ? human_bytes(s.file["bytes"].get<uint64_t>()) : "-"});
        row.push_back({s.model ? params_text(s.params) : "-"});
      }
      if (latency_batch) row.push_back({s.latency ? fmt::format("{:.2f}", s.latency->stats.p50) : "-"});
      if (accuracy) {
        const data::Summary& sm = summaries[k];
        data::Interval i1 = sm.top1_ci(), i5 = sm.top5_ci();
        row.push_back({fmt::format("{:.2f} [{:.1f}, {:.1f}]", pct(sm.top1_rate()), pct(i1.lo), pct(i1.hi))});
        row.push_back({fmt::format("{:.2f} [{:.1f}, {:.1f}]", pct(sm.top5_rate()), pct(i5.lo), pct(i5.hi))});
        if (k == 0) {
          row.push_back({"-"});
          row.push_back({"-"});
          row.push_back({"-"});
        } else {
          const Paired& p = paired[k];
          row.push_back({fmt::format("{:+.2f} [{:+.1f}, {:+.1f}]", pct(p.d1.delta), pct(p.d1.ci.lo), pct(p.d1.ci.hi))});
          row.push_back({fmt::format("{:.3g}", p.m1.p_value)});
          row.push_back({fmt::format("{:.1f}%", pct(p.n ? double(p.agree1) / double(p.n) : 0.0))});
        }
      }
      if (!f->image.empty()) {
        std::vector<std::string> lines;
        for (const ImageClass& ic : s.image_top)
          lines.push_back(fmt::format("{:>3} {} {:.3f}", ic.index, labels.name(ic.index), ic.prob));
        if (lines.empty()) lines.push_back("-");
        row.push_back(std::move(lines));
      }
      table.add_row(std::move(row));
    }
    std::printf("\n%s", table.render().c_str());
    if (!accuracy) return 0;
    std::printf("\n");
    for (size_t k = 1; k < n_sides; ++k) {
      const Paired& p = paired[k];
      const char* x = sides[k].letter.c_str();
      std::printf("%s vs A  top-1 agreement %.2f%% (%ld/%ld) [%.2f, %.2f]\n", x, pct(p.n ? double(p.agree1) / double(p.n) : 0.0),
                  static_cast<long>(p.agree1), static_cast<long>(p.n), pct(p.agree_ci.lo), pct(p.agree_ci.hi));
      auto print_test = [&](const char* what, const data::McNemar& m, const data::PairedDelta& d) {
        std::printf("        %s %s - A = %+.2f%% [%+.2f, %+.2f]; only A right %ld, only %s right %ld; McNemar %s p = %.4g\n",
                    what, x, pct(d.delta), pct(d.ci.lo), pct(d.ci.hi), static_cast<long>(m.b), x,
                    static_cast<long>(m.c), m.exact ? "exact binomial" : fmt::format("chi2 = {:.3f},", m.statistic).c_str(),
                    m.p_value);
      };
      print_test("top-1", p.m1, p.d1);
      print_test("top-5", p.m5, p.d5);
    }
    const std::vector<Paired::Flip>& flips = paired[1].flips;
    if (n_sides == 2 && f->show > 0 && !flips.empty()) {
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
