// inr::compare (include/inr/compare.h): the work of `inr compare`.
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
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <unordered_map>

#include <fmt/format.h>

#include "core/file.h"
#include "data/labels.h"
#include "data/metrics.h"
#include "drivers/dataset_select.h"
#include "drivers/eval_pipeline.h"
#include "drivers/latency.h"
#include "drivers/preprocess_options.h"
#include "drivers/provenance.h"
#include "inr/compare.h"
#include "ir/graph.h"
#include "onnx/onnx_io.h"

namespace inr {

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

Result<nlohmann::json> compare(const CompareOptions& o) {
  auto note = [&](const std::string& line) {
    if (o.note) o.note(line);
  };
    const size_t n_sides = o.sides.size();
    if (n_sides < 2)
      return error("compare needs at least two models or prediction files, got {}", n_sides);
    if (!o.flips.empty() && n_sides != 2)
      return error("--flips lists the images that flipped between A and B: it needs exactly two sides, got {}",
                        n_sides);
    std::vector<Side> sides(n_sides);
    std::vector<Side*> model_sides;
    for (size_t k = 0; k < n_sides; ++k) {
      Side& s = sides[k];
      s.name = o.sides[k];
      s.letter = side_letter(k);
      s.model = is_model_path(s.name);
      auto file = model_json(s.name);  // also: the file exists and is readable, before anything is loaded
      if (!file) return file.status();
      s.file = std::move(*file);
      if (s.model) model_sides.push_back(&s);
    }
    const bool any_model = !model_sides.empty(), any_file = model_sides.size() < n_sides;
    const bool have_data = !o.dataset.data.empty();
    if (any_model && !have_data && o.image.empty())
      return error("give --data DIR|LIST (accuracy) and/or -i IMAGE (top-5) to compare models "
                        "(for speed alone: inr bench)");
    if (any_model && any_file && !have_data)
      return error("--data is needed to compare prediction files with models");
    if (!any_model && !o.image.empty()) return error("-i IMAGE needs at least one model (.onnx) side");

    for (Side& s : sides) {
      if (s.model) continue;
      auto pf = data::read_predictions(s.name);
      if (!pf) return pf.status();
      if (pf->header.is_object() && pf->header.contains("model")) s.made_by = pf->header["model"];
      for (data::Prediction& p : pf->predictions) {
        std::string key = p.path;
        if (!s.file_preds.emplace(key, std::move(p)).second)
          return error("{}: '{}' appears twice", s.name, key);
      }
      if (s.file_preds.empty()) return error("{}: no predictions", s.name);
    }

    // The images: from --data, or (only prediction files) A's images, sorted by path.
    const bool accuracy = have_data || !any_model;
    if (!accuracy && !(o.flips.empty() && o.out_a.empty() && o.out_b.empty()))
      return error("--flips, --out-a and --out-b need --data (they list per-image predictions)");
    std::vector<data::Sample> samples;
    std::string description;
    nlohmann::json dataset_json;
    SelectedSamples selected;  // for check_synsets
    if (have_data) {
      auto sel = select_samples(o.dataset);
      if (!sel) return sel.status();
      selected.synsets = sel->synsets;
      samples = std::move(sel->samples);
      description = sel->description;
      dataset_json = sel->dataset_json;
      if (!sel->dataset.note.empty()) note("note: " + sel->dataset.note);
    } else if (accuracy) {
      for (const auto& [key, p] : sides[0].file_preds) samples.push_back({key, key, p.label});
      std::sort(samples.begin(), samples.end(),
                [](const data::Sample& x, const data::Sample& y) { return x.key < y.key; });
      description = fmt::format("the {} images of {}", samples.size(), sides[0].name);
      dataset_json = {{"root", nullptr}, {"layout", "the images of A"}, {"images", samples.size()}};
    }
    if (accuracy && samples.empty()) return error("nothing to compare");
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
          return error("{}: '{}' has label {}, the dataset says {}", s.name, smp.key, it->second.label, smp.label);
        s.preds.push_back(it->second);
      }
      if (missing)
        return error("{}: no prediction for {} of the {} images (first: {})", s.name, missing, samples.size(), first);
    }

    data::Labels labels = data::imagenet_labels();
    if (!o.labels.empty()) {
      auto l = data::load_labels(o.labels);
      if (!l) return l.status();
      labels = std::move(*l);
    }

    // The models: parameters from the imported graph, then a session each.
    image::PreprocessSpec spec;
    for (Side* s : model_sides) {
      auto g = import_onnx_file(s->name);
      if (!g) return g.status();
      s->params = constants_by_dtype(**g);
      auto session = Session::load(s->name, o.session);
      if (!session) return session.status();
      s->session = std::move(*session);
      if (s->session->inputs().size() != 1)
        return error("{}: compare needs a model with one input, this one has {}", s->name,
                          s->session->inputs().size());
    }
    if (any_model) {
      auto sp = resolve_preprocess(o.preprocess);
      if (!sp) return sp.status();
      spec = *sp;
    }
    std::vector<Session*> sessions;
    for (Side* s : model_sides) sessions.push_back(s->session.get());

    // -i IMAGE: decoded once, the same tensor for every model.
    if (!o.image.empty()) {
      image::Preprocessor pre(spec, decode_options(o.preprocess));
      Shape chw = image::output_shape(spec);
      if (shape_numel(chw) < 0) return error("-i needs a preprocessing with a crop size (a fixed image shape)");
      Tensor img = Tensor::empty(image::output_dtype(spec), chw);
      Status st = pre.run_file(o.image, img.raw(), img.bytes());
      if (!st) return st;
      for (Side* s : model_sides) {
        auto top = classify_image(*s->session, spec, img, s->name);
        if (!top) return top.status();
        if (!o.labels.empty()) {  // as classify: --labels must name every class of the model
          const int64_t fixed = s->session->inputs()[0].shape[0];
          auto classes = output_classes(*s->session, spec, fixed > 0 ? static_cast<int>(fixed) : 1);
          if (!classes) return classes.status().with_context(s->name);
          auto names = data::labels_for_classes(o.labels, *classes);
          if (!names) return names.status();
        }
        s->image_top = std::move(*top);
      }
    }

    // Latency: every model at the same batch and threads, alternating between them.
    int latency_batch = 0;
    if (any_model && o.latency_runs > 0) {
      auto b = common_batch(model_sides, o.batch, 1);
      if (!b) return b.status();
      latency_batch = *b;
      auto stats = round_robin_latency(sessions, latency_batch, o.latency_runs, o.latency_warmup, kLatencySeed);
      if (!stats) return stats.status();
      for (size_t m = 0; m < model_sides.size(); ++m) model_sides[m]->latency = (*stats)[m];
    }

    // Accuracy: the model sides together, one decode per batch, every model on the same input.
    double seconds = 0;
    if (any_model && have_data) {
      auto b = common_batch(model_sides, o.batch, kDefaultEvalBatch);
      if (!b) return b.status();
      int batch = *b;
      bool dynamic = true;
      for (Side* s : model_sides) dynamic = dynamic && s->session->inputs()[0].shape[0] < 0;
      if (dynamic) batch = static_cast<int>(std::min<size_t>(static_cast<size_t>(batch), samples.size()));
      for (Side* s : model_sides) {
        Status st = prepare_session(*s->session, spec, batch, s->name);
        if (!st) return st;
        auto classes = output_classes(*s->session, spec, batch);
        if (!classes) return classes.status();
        st = check_synsets(selected, o.dataset, *classes);
        if (!st) return st;
        if (!o.labels.empty()) {
          auto names = data::labels_for_classes(o.labels, *classes);
          if (!names) return names.status();
        }
        st = check_labels(samples, *classes, s->name);
        if (!st) return st;
        s->preds.reserve(samples.size());
      }
      EvalPipelineOptions opts;
      opts.batch = batch;
      opts.decode_threads = o.decode_threads;
      opts.spec = spec;
      opts.decode = decode_options(o.preprocess);
      opts.progress = o.progress;
      auto stats = run_eval_pipeline(
          sessions, samples, opts,
          [&](std::span<const data::Sample>, std::span<const std::vector<data::Prediction>> per_model) -> Status {
            for (size_t m = 0; m < model_sides.size(); ++m)
              model_sides[m]->preds.insert(model_sides[m]->preds.end(), per_model[m].begin(), per_model[m].end());
            return Status::ok();
          });
      if (!stats) return stats.status();
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
            note("warning: " + s.preds[i].error);
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
      // Like eval and merge: nothing scored by every side is an error, not a 0/0 table (issue #16).
      if (n == 0) {
        std::string first;
        for (const Side& s : sides)
          for (const data::Prediction& p : s.preds)
            if (first.empty() && p.failed()) first = p.path;
        return error("no image could be scored by every side: all {} failed{}", failed,
                     first.empty() ? std::string() : " (first: " + first + ")");
      }
      for (size_t k = 1; k < n_sides; ++k) paired[k] = pair_outcomes(sides[0].preds, sides[k].preds, scored);
    }

    if (!o.flips.empty()) {
      std::string text = "path\tlabel\ta_top1\tb_top1\tright\n";
      for (const Paired::Flip& fl : paired[1].flips) {
        const data::Prediction& pa = sides[0].preds[fl.i];
        text += fmt::format("{}\t{}\t{}\t{}\t{}\n", pa.path, pa.label, pa.top[0], sides[1].preds[fl.i].top[0],
                            fl.a_right ? "A" : "B");
      }
      Status st = write_file_atomic(o.flips, text);
      if (!st) return st;
    }
    for (int k = 0; k < 2; ++k) {
      const std::string& out = k == 0 ? o.out_a : o.out_b;
      if (out.empty()) continue;
      std::string text;
      for (const data::Prediction& p : sides[static_cast<size_t>(k)].preds) text += data::to_jsonl(p);
      Status st = write_file_atomic(out, text);
      if (!st) return st;
    }

      auto mcnemar_json = [](const data::McNemar& m, const data::PairedDelta& d) {
        return nlohmann::json{{"a_only", m.b},       {"b_only", m.c},        {"test", m.exact ? "exact" : "chi2"},
                              {"statistic", m.statistic}, {"p_value", m.p_value}, {"delta", d.delta},
                              {"delta_ci", {d.ci.lo, d.ci.hi}}};
      };
      nlohmann::json j = provenance_base(kCompareSchema, kCompareSchemaVersion, o.session.threads);
      if (any_model) j["preprocess"] = preprocess_json(o.preprocess.preset, spec);
      if (accuracy) {
        dataset_json["description"] = description;
        dataset_json["compared"] = n;
        dataset_json["failed"] = failed;
        j["dataset"] = dataset_json;
      }
      if (!o.image.empty()) j["image"] = o.image;
      if (latency_batch)
        j["latency"] = {{"batch", latency_batch},
                        {"runs", o.latency_runs},
                        {"warmup", o.latency_warmup},
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
          m["params_text"] = params_text(s.params);
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
      return j;
}

}  // namespace inr
