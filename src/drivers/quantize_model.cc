// inr::quantize_model (include/inr/quantize.h): the work of `inr quantize`.
#include <algorithm>
#include <filesystem>
#include <sstream>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/file.h"
#include "data/dataset.h"
#include "core/file.h"
#include "core/sha256.h"
#include "drivers/encodings.h"
#include "drivers/observer_files.h"
#include "drivers/preprocess_options.h"
#include "drivers/provenance.h"
#include "inr/quantize.h"
#include "ir/graph.h"
#include "onnx/onnx_io.h"
#include "quant/observer_io.h"
#include "quant/quant_util.h"
#include "quant/quantize.h"

namespace inr {

namespace fs = std::filesystem;

namespace {

// DIR (images found recursively, sorted) or LIST.txt (one path per line, relative to the list's folder).
Result<std::vector<std::string>> calibration_images(const std::string& arg, int64_t count) {
  std::vector<std::string> out;
  std::error_code ec;
  if (fs::is_directory(arg, ec)) {
    fs::recursive_directory_iterator it(arg, fs::directory_options::skip_permission_denied, ec), end;
    if (ec) return error("{}: cannot read calibration folder: {}", arg, ec.message());
    for (; it != end; it.increment(ec)) {
      if (ec) return error("{}: cannot read calibration folder: {}", arg, ec.message());
      if (it->is_regular_file(ec) && data::has_image_extension(it->path().extension().string())) out.push_back(it->path().string());
    }
    std::sort(out.begin(), out.end());
    if (out.empty()) return error("{}: no .jpg/.jpeg/.png images in the calibration folder", arg);
  } else if (fs::exists(arg, ec)) {
    INR_ASSIGN_OR_RETURN(std::string text, read_file(arg));  // refuses a FIFO or device instead of blocking
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      std::string path = line.substr(0, line.find('\t'));  // labels.tsv style lists: first column
      fs::path p(path);
      out.push_back(p.is_absolute() ? path : (fs::path(arg).parent_path() / p).string());
    }
    if (out.empty()) return error("{}: no images listed", arg);
  } else {
    return error("{}: calibration data not found (expected a folder of images or a list file)", arg);
  }
  if (count > 0 && static_cast<size_t>(count) < out.size()) out.resize(static_cast<size_t>(count));
  return out;
}

// One shard of a distributed calibration: observe its batches and write the observers with their
// provenance (observer_files.h) instead of a model.
Result<nlohmann::json> save_observer_shard(const QuantizeRequest& r, const quant::QuantOptions& o, const Graph& graph,
                                           const quant::CalibData& data, const nlohmann::json& model,
                                           const nlohmann::json& calib_dataset) {
  quant::QuantReport report;
  auto run = quant::observe_static(graph, o, data, report);
  if (!run) return run.status().with_context(r.model);
  for (const auto& s : report.skipped_images)
    if (r.note) r.note("warning: calibration image skipped: " + s);
  nlohmann::json header = provenance_base(kObserversSchema, 1, 0);
  header["model"] = model;
  header["preprocess"] = preprocess_json(r.preprocess.preset, data.spec);
  header["calibrator"] = o.calibrator;
  header["bins"] = o.knobs.bins;
  header["dataset"] = calib_dataset;
  header["images_used"] = report.images_used;
  header["images_failed"] = report.images_failed;
  header["skipped_images"] = report.skipped_images;
  std::string bytes = quant::encode_observers(header.dump(), run->tensors, run->observers);
  INR_TRY(write_file_atomic(r.save_observers, bytes));
  nlohmann::json j = provenance_base(kObserversSummarySchema, 1, 0);
  j["model"] = model;
  j["observers"] = r.save_observers;
  j["shard"] = calib_dataset["shard"];
  j["calibrator"] = o.calibrator;
  j["images_used"] = report.images_used;
  j["images_failed"] = report.images_failed;
  j["observed_tensors"] = run->tensors.size();
  j["bytes"] = bytes.size();
  return j;
}

}  // namespace

std::vector<std::string> split_names(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

Result<nlohmann::json> quantize_model(const QuantizeRequest& request) {
  QuantizeRequest r = request;
  if (!r.recipe.empty()) {
    if (r.recipe != "w8a8" && r.recipe != "w4a8") return error("recipe must be w8a8 or w4a8, got '{}'", r.recipe);
    if (!r.mode.empty() && r.mode != "static") return error("--recipe {} quantizes statically; drop --mode {}", r.recipe, r.mode);
    if (r.format != "qdq") return error("--recipe {} writes QDQ; drop --format {}", r.recipe, r.format);
    if (r.per_tensor) return error("--recipe {} uses per-channel weights; drop --per-tensor", r.recipe);
    if (!r.target.empty() || !r.weight.empty() || r.reduce_range || r.symmetric_act || (!r.act.empty() && r.act != "u8"))
      return error("--recipe {} fixes the types (s8/s4 symmetric weights, u8 activations); drop the type flags", r.recipe);
    r.mode = "static";
    r.calibrator = "tf-enhanced";
    r.cle = true;
    r.adaround = true;
    r.weight_bits = r.recipe == "w4a8" ? 4 : 8;
    if (r.weight_range.empty()) r.weight_range = "tf-enhanced";  // AIMET computes param encodings with it
  }
  if (!r.weight_range.empty() && r.weight_range != "minmax" && r.weight_range != "tf-enhanced")
    return error("weight range must be minmax or tf-enhanced, got '{}'", r.weight_range);
  if (r.weight_bits != 8 && r.weight_bits != 4) return error("weight bits must be 8 or 4, got {}", r.weight_bits);
  if (!r.bias_correction.empty() && r.bias_correction != "empirical" && r.bias_correction != "analytical")
    return error("bias correction must be empirical or analytical, got '{}'", r.bias_correction);
  const bool ptq = r.cle || r.adaround || !r.bias_correction.empty();
  if (ptq && r.mode != "static") return error("--cle, --adaround and --bias-correction need --mode static");
  if (ptq && r.format != "qdq") return error("--cle, --adaround and --bias-correction need --format qdq");
  if (!r.weight_range.empty() && r.recipe.empty() && !r.adaround && r.bias_correction.empty())
    return error("--weight-range picks the grid AdaRound and bias correction round onto: add --adaround or --bias-correction");
  if (!r.report.empty() && !r.adaround && r.bias_correction.empty())
    return error("--report lists the layers AdaRound or bias correction optimised: add --adaround or --bias-correction");
  auto note = [&](const std::string& line) {
    if (r.note) r.note(line);
  };
  quant::QuantOptions o;
  if (r.mode == "fp16") o.mode = quant::Mode::kFp16;
  else if (r.mode == "dynamic") o.mode = quant::Mode::kDynamic;
  else if (r.mode == "static") o.mode = quant::Mode::kStatic;
  else return error("mode must be fp16, dynamic or static, got '{}'", r.mode);
  quant::TypeFlags given;
  if (!r.act.empty()) {
    if (r.act != "u8" && r.act != "s8") return error("act must be u8 or s8, got '{}'", r.act);
    given.act = r.act == "s8" ? DType::kI8 : DType::kU8;
  }
  if (!r.weight.empty()) {
    if (r.weight != "u8" && r.weight != "s8") return error("weight must be s8 or u8, got '{}'", r.weight);
    given.weight = r.weight == "u8" ? DType::kU8 : DType::kI8;
  }
  given.reduce_range = r.reduce_range;
  given.symmetric_act = r.symmetric_act;
  INR_ASSIGN_OR_RETURN(quant::Target target, quant::parse_target(r.target.empty() ? "none" : r.target));
  INR_TRY(quant::apply_target(target, given, o));
  if (o.symmetric_act && o.act != DType::kI8) return error("--symmetric-act needs --act s8");
  if (r.format != "qdq" && r.format != "qop") return error("format must be qdq or qop, got '{}'", r.format);
  o.format = r.format == "qop" ? quant::Format::kQop : quant::Format::kQdq;
  o.calibrator = r.calibrator;
  o.knobs.bins = r.bins;
  o.knobs.percentile = r.percentile;
  o.knobs.entropy_quantized_bins = r.entropy_bins;
  o.knobs.tfe_gamma = r.tfe_gamma;
  o.knobs.symmetric = o.symmetric_act;
  o.per_channel = !r.per_tensor && target != quant::Target::kGemmini;  // the Systolic EP: per-tensor only
  INR_ASSIGN_OR_RETURN(bool four_bit, quant::four_bit_weights(r.weight_bits));
  if (four_bit) {
    if (o.mode != quant::Mode::kStatic) return error("--weight-bits 4 needs --mode static (4-bit weights are written as QDQ)");
    if (o.format != quant::Format::kQdq)
      return error("--weight-bits 4 needs --format qdq (QLinearConv / QLinearMatMul take only 8-bit weights)");
    if (target != quant::Target::kNone) return error("--weight-bits 4 takes no --target (the targets pick 8-bit weight types)");
    if (o.weight != DType::kI8 || o.reduce_range)
      return error("--weight-bits 4 writes symmetric s4 weights; drop --weight u8 / --reduce-range");
  }
  o.weight_bits = r.weight_bits;
  if (!r.weight8.empty() && r.weight_bits != 4)
    return error("--weight8 keeps layers at 8 bits among 4-bit ones: it needs --weight-bits 4 or --recipe w4a8");
  o.weight8 = r.weight8;
  o.cle = r.cle;
  o.ptq.adaround = r.adaround;
  o.ptq.bias_correction = r.bias_correction;
  o.ptq.weight_range = r.weight_range == "tf-enhanced" ? quant::WeightRange::kTfEnhanced : quant::WeightRange::kMinMax;
  o.ptq.ada.iterations = r.adaround_iters > 0 ? r.adaround_iters : r.weight_bits < 8 ? 15000 : 10000;
  if (r.adaround_batch < 1) return error("--adaround-batch must be at least 1");
  o.ptq.ada.batch = r.adaround_batch;
  o.ptq.ada.seed = r.seed;  // which positions are cached and which rows each iteration draws
  o.ptq.images = static_cast<size_t>(std::max<int64_t>(0, r.adaround_images));
  if (r.adaround_positions < 1) return error("--adaround-positions must be at least 1");
  o.ptq.positions = r.adaround_positions;
  if (r.adaround_holdout > 0.9) return error("--adaround-holdout must be in [0, 0.9]");
  // W8A8 met its goal in 3 of 3 seeds with held-out selection and in none without (README "Advanced PTQ").
  o.ptq.ada.holdout = r.adaround_holdout >= 0 ? r.adaround_holdout : r.recipe == "w8a8" ? 0.2 : 0.0;
  o.ptq.progress = r.ptq_progress;
  o.exclude = r.exclude;
  o.op_types = r.op_types;
  INR_TRY(quant::Histogram::validate_bins(o.knobs.bins));

  // Distributed calibration: which of its three steps this run is (README "Distributed calibration").
  const bool saving = !r.save_observers.empty(), from_observers = !r.observers.empty();
  if ((saving || from_observers || !r.calib_shard.empty()) && o.mode != quant::Mode::kStatic)
    return error("--calib-shard, --save-observers and --observers go with --mode static");
  if (!r.calib_shard.empty() && !saving)
    return error("--calib-shard needs --save-observers FILE: a model calibrated on one shard's images is not the "
                 "model of all of them (merge every shard's file with --observers)");
  if (saving && from_observers) return error("--save-observers (one shard) and --observers (merge all) are two steps: give one");
  if (saving && !r.output.empty())
    return error("--save-observers writes the shard's observers, not a model: drop -o and give it to the run with "
                 "--observers");
  if (from_observers && (!r.calib_data.empty() || r.calib_count > 0 || r.calib_sample > 0))
    return error("--observers replaces calibration: drop --calib-data/--calib-count/--calib-sample (the shards had them)");
  if (!saving && r.output.empty()) return error("-o/--output is required");
  const std::string& target_file = saving ? r.save_observers : r.output;

  // Check the output location before the (possibly long) calibration.
  fs::path out_dir = fs::path(target_file).parent_path();
  if (out_dir.empty()) out_dir = ".";
  std::error_code ec;
  if (!fs::is_directory(out_dir, ec)) return error("{}: output folder {} does not exist", target_file, out_dir.string());
  if (fs::is_directory(target_file, ec)) return error("{}: output is a folder", target_file);
  if (fs::exists(target_file, ec) && fs::equivalent(r.model, target_file, ec))
    return error("{}: the output is the input model; write the quantized model elsewhere", target_file);
  INR_TRY(check_output_path(target_file));  // a device or FIFO: refused now, not after calibration
  INR_TRY(check_output_path(r.report));
  INR_ASSIGN_OR_RETURN(nlohmann::json model, model_json(r.model));

  const bool static_qdq = o.mode == quant::Mode::kStatic && o.format == quant::Format::kQdq;
  if ((!r.encodings.empty() || r.export_encodings) && !static_qdq)
    return error("--encodings / --export-encodings need --mode static --format qdq");
  quant::QuantEncodings given_encodings;
  if (!r.encodings.empty()) {
    if (!r.calib_data.empty()) return error("--encodings replaces calibration: drop --calib-data");
    if (saving || from_observers || !r.calib_shard.empty())
      return error("--encodings replaces calibration: drop --calib-shard/--save-observers/--observers");
    INR_ASSIGN_OR_RETURN(std::string text, read_file(r.encodings));
    nlohmann::json ej = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (ej.is_discarded()) return error("{}: not valid JSON", r.encodings);
    auto e = encodings_from_aimet(ej, o.act, o.weight);
    if (!e) return e.status().with_context(r.encodings);
    given_encodings = std::move(*e);
    o.encodings = &given_encodings;
  }
  if (saving && r.export_encodings) return error("--export-encodings goes with the run that writes the model, not --save-observers");
  const std::string encodings_out = r.export_encodings ? encodings_path_for(r.output) : "";
  if (!encodings_out.empty() && (fs::is_directory(encodings_out, ec) ||
                                 (fs::exists(r.encodings, ec) && fs::equivalent(r.encodings, encodings_out, ec))))
    return error("{}: cannot write the encodings there (a folder, or the --encodings input)", encodings_out);

  quant::CalibData data;
  nlohmann::json calib_dataset;  // the image selection, for observer files
  if (o.mode == quant::Mode::kStatic) {
    INR_ASSIGN_OR_RETURN(data.spec, resolve_preprocess(r.preprocess));
  }
  if (o.mode == quant::Mode::kStatic && !o.encodings && !from_observers) {
    if (r.calib_data.empty())
      return error("--mode static needs --calib-data DIR|LIST (or --observers FILE..., or --encodings FILE)");
    if (r.calib_count > 0 && r.calib_sample > 0)
      return error("--calib-count (the first N) and --calib-sample (a random N) are alternatives: give one");
    INR_ASSIGN_OR_RETURN(data.paths, calibration_images(r.calib_data, r.calib_count));
    if (r.calib_sample > 0) {
      // One class per folder: class-balanced on wnid folders, uniform on a flat folder or list.
      std::map<std::string, int> folder_class;
      std::vector<data::Sample> all;
      for (const std::string& p : data.paths) {
        std::string folder = fs::path(p).parent_path().string();
        int label = folder_class.emplace(folder, static_cast<int>(folder_class.size())).first->second;
        all.push_back({p, p, label});
      }
      data.paths.clear();
      for (const data::Sample& s : data::balanced_sample(all, static_cast<size_t>(r.calib_sample), r.seed))
        data.paths.push_back(s.path);
    }
    data.decode = decode_options(r.preprocess);
    data.batch = r.calib_batch;
    data.progress = r.progress;
    if (!r.calib_shard.empty()) {
      INR_ASSIGN_OR_RETURN(data::AutoShard shard, data::resolve_shard(r.calib_shard, nullptr, "--calib-shard"));
      data.shard_index = shard.shard.index;
      data.shard_count = shard.shard.count;
      if (!shard.source.empty()) note(fmt::format("calibration shard {}/{} ({})", data.shard_index, data.shard_count, shard.source));
    }
    // The selection as eval's journals describe a dataset (provenance.h), so the shards' files can be
    // checked to cover one calibration: paths relative to the folder or list, so mount points may differ.
    fs::path root = fs::is_directory(r.calib_data, ec) ? fs::path(r.calib_data) : fs::path(r.calib_data).parent_path();
    Sha256 h;
    for (const std::string& p : data.paths) {
      std::string line = fs::path(p).lexically_relative(root).generic_string() + "\n";
      h.update(line.data(), line.size());
    }
    calib_dataset = {{"root", r.calib_data},       {"layout", "calibration images"}, {"images", data.paths.size()},
                     {"limit", r.calib_count},     {"sample", r.calib_sample},       {"seed", r.seed},
                     {"fingerprint", h.hex_digest()}, {"batch", r.calib_batch},
                     {"shard", fmt::format("{}/{}", data.shard_index, data.shard_count)}};
  }

  auto graph = import_onnx_file(r.model);
  if (!graph) {
    const std::string& m = graph.status().message();
    for (const char* q : {"QuantizeLinear", "QLinear", "ConvInteger", "MatMulInteger"})
      if (m.find(q) != std::string::npos) return error("{}: model is already quantized ({})", r.model, m);
    return graph.status();
  }
  quant::QuantReport report;
  if (saving) return save_observer_shard(r, o, **graph, data, model, calib_dataset);
  Result<std::unique_ptr<Graph>> out = Status::error("unreachable");
  size_t observer_shards = 0;
  if (o.mode == quant::Mode::kFp16) {
    out = quant::quantize_fp16(**graph, report);
  } else if (o.mode == quant::Mode::kDynamic) {
    out = quant::quantize_dynamic(**graph, o, report);
  } else if (from_observers) {
    ObserverRun run{model, preprocess_json(r.preprocess.preset, data.spec), o.calibrator, o.knobs.bins, {}};
    auto tensors = quant::observed_tensors(**graph, o);
    if (!tensors) return tensors.status().with_context(r.model);
    run.tensors = std::move(*tensors);
    INR_ASSIGN_OR_RETURN(MergedObservers merged, read_observer_shards(r.observers, run));
    for (const std::string& line : merged.notes) note(line);
    out = quant::quantize_static(**graph, o, merged.observers, report);
    report.images_used = merged.images_used;
    report.images_failed = merged.images_failed;
    report.skipped_images = merged.skipped_images;
    observer_shards = merged.shards;
  } else {
    out = quant::quantize_static(**graph, o, data, report);
  }
  if (!out) return out.status().with_context(r.model);
  for (const auto& s : report.skipped) note("warning: left float: " + s);
  // Which layers got which bias correction (the note names them under analytical; the summary counts them).
  std::vector<std::string> bc_analytical, bc_empirical;
  for (const quant::LayerReport& l : report.layers)
    if (l.bias_method == "analytical") bc_analytical.push_back(l.name);
    else if (l.bias_method == "empirical") bc_empirical.push_back(l.name + " (" + l.bias_note + ")");
  if (r.bias_correction == "analytical")
    note(fmt::format("bias correction: analytical on {} layer(s){}{}", bc_analytical.size(),
                     bc_analytical.empty() ? "" : ": " + fmt::format("{}", fmt::join(bc_analytical, ", ")),
                     bc_empirical.empty() ? "" : fmt::format("; empirical on {} (no BatchNorm statistics): {}", bc_empirical.size(),
                                                             fmt::format("{}", fmt::join(bc_empirical, "; ")))));
  for (const auto& s : report.skipped_images) note("warning: calibration image skipped: " + s);
  // write_file_atomic's messages name the file already; export_onnx_bytes's do not.
  auto bytes = export_onnx_bytes(**out);
  if (!bytes) return bytes.status().with_context(r.output);
  Status st = write_file_atomic(r.output, *bytes);
  if (!st) return st;
  nlohmann::json layers = nlohmann::json::array();
  for (const quant::LayerReport& l : report.layers)
    layers.push_back({{"name", l.name},
                      {"op", l.op},
                      {"bits", l.bits},
                      {"samples", l.samples},
                      {"weight_sqnr_db", {{"original", l.weight_sqnr_original}, {"after_cle", l.weight_sqnr_rtn}, {"final", l.weight_sqnr_final}}},
                      {"output_sqnr_db", {{"nearest", l.output_sqnr_rtn}, {"final", l.output_sqnr_final}}},
                      {"adaround", l.adaround_iteration < 0 ? nlohmann::json(nullptr)
                                   : nlohmann::json{{"iteration_kept", l.adaround_iteration},
                                                    {"heldout_samples", l.heldout_samples},
                                                    {"heldout_output_sqnr_db", l.heldout_samples == 0 ? nlohmann::json(nullptr)
                                                        : nlohmann::json{{"nearest", l.heldout_sqnr_nearest},
                                                                         {"kept", l.heldout_sqnr_chosen},
                                                                         {"last", l.heldout_sqnr_last}}}}},
                      {"bias_correction", l.bias_method.empty() ? "none" : l.bias_method},
                      {"bias_correction_mean_abs", l.bias_shift},
                      {"seconds", {{"sampling", l.seconds_sampling}, {"adaround", l.seconds_optimising}}}});
  if (!r.report.empty()) {
    nlohmann::json rep = provenance_base("inr.quantize.layers", 1, 0);
    rep.erase("threads");
    rep["model"] = model;
    rep["steps"] = {{"cle", r.cle}, {"adaround", r.adaround}, {"bias_correction", r.bias_correction.empty() ? "none" : r.bias_correction}};
    rep["note"] = "weight SQNR: round-to-nearest on the original weights, then after CLE, then the final (AdaRound) "
                  "weights; output SQNR: the layer output (activation included) with the upstream layers already "
                  "quantized, against the float model, on the sampled positions of the calibration images";
    rep["cle_sets"] = report.cle.sets;
    rep["layers"] = layers;
    Status ws = write_file_atomic(r.report, rep.dump(1) + "\n");
    if (!ws) return ws.with_context(r.report);
  }
  if (!encodings_out.empty()) {
    st = write_file_atomic(encodings_out, encodings_to_aimet(report.encodings).dump(2) + "\n");
    if (!st) {
      fs::remove(r.output, ec);  // both files or neither
      return st.with_context(encodings_out);
    }
  }

  nlohmann::json j = provenance_base(kQuantizeSchema, 1, 0);
  j.erase("threads");
  j["model"] = model;
  j["output"] = r.output;
  j["mode"] = report.mode;
  if (o.target != quant::Target::kNone) j["target"] = quant::target_name(o.target);
  if (o.mode == quant::Mode::kStatic) {
    j["calibrator"] = report.calibrator;
    if (o.calibrator == "percentile") j["percentile"] = o.knobs.percentile;
    j["preprocess"] = preprocess_json(r.preprocess.preset, data.spec);
    j["images_used"] = report.images_used;
    j["images_failed"] = report.images_failed;
    j["observed_tensors"] = report.observed_tensors;
    j["weights"] = {{"type", o.weight_bits == 4 ? "s4" : o.weight == DType::kU8 ? "u8" : "s8"},
                    {"bits", o.weight_bits},
                    {"granularity", o.per_channel ? "per-channel" : "per-tensor"},
                    {"reduce_range", o.reduce_range},
                    {"zero_point_128", o.weight_zp128}};
    if (!report.weight8.empty()) j["weights"]["kept_8bit"] = report.weight8;
    j["activations"] = {{"type", o.act == DType::kU8 ? "u8" : "s8"}, {"symmetric", o.symmetric_act}};
  }
  if (ptq) {
    j["recipe"] = r.recipe.empty() ? "none" : r.recipe;
    j["weight_bits"] = r.weight_bits;
    if (r.adaround || !r.bias_correction.empty()) j["weight_range"] = r.weight_range.empty() ? "minmax" : r.weight_range;
    nlohmann::json steps = nlohmann::json::object();
    if (r.cle)
      steps["cle"] = {{"pairs", report.cle.pairs}, {"triplets", report.cle.triplets},
                      {"relu6_replaced", report.cle.relu6_replaced},
                      {"high_bias_absorption", {{"batchnorm_statistics", report.cle.bn_stats},
                                                {"pairs", report.cle.hba_pairs},
                                                {"channels", report.cle.hba_channels}}}};
    if (r.adaround)
      steps["adaround"] = {{"iterations", o.ptq.ada.iterations}, {"batch", o.ptq.ada.batch},
                           {"positions_per_image", o.ptq.ada.positions_per_iter}, {"seed", o.ptq.ada.seed},
                           {"cached_positions_per_image", o.ptq.positions},
                           {"holdout", o.ptq.ada.holdout}, {"checks", o.ptq.ada.holdout > 0 ? o.ptq.ada.checks : 0},
                           {"layers", report.layers.size()}};
    if (!r.bias_correction.empty()) {
      steps["bias_correction"] = r.bias_correction;
      steps["bias_correction_layers"] = {{"analytical", bc_analytical.size()}, {"empirical", bc_empirical.size()}};
    }
    j["steps"] = steps;
  }
  if (!encodings_out.empty()) j["encodings"] = encodings_out;
  if (!r.encodings.empty()) j["encodings"] = r.encodings;
  if (from_observers) j["observer_shards"] = observer_shards;
  j["nodes_quantized"] = report.nodes_quantized;
  j["left_float"] = report.skipped;
  j["full_range_u8s8"] = report.full_range_u8s8;
  j["bytes_before"] = fs::file_size(r.model, ec);
  j["bytes_after"] = fs::file_size(r.output, ec);
  return j;
}

}  // namespace inr
