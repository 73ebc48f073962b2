// `inr quantize -m IN -o OUT --mode fp16|dynamic|static [--format qdq|qop] [--calib-data DIR|LIST.txt]
//  [--calib-count N] [-p PRESET] [--calib minmax|percentile|entropy|l2|tf-enhanced] [--per-tensor]
//  [--target portable|vnni|avx2] ...`
// --mode is required; int8 weights are per-channel unless --per-tensor is given.
// Writes the quantized model atomically (nothing is left behind on error) and prints a summary: mode,
// calibrator, images used, nodes quantized / left float, sizes before and after, and a note when the model
// multiplies u8 activations by full-range s8 weights (inexact in ONNX Runtime on CPUs without VNNI).
#include <sys/resource.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "cli_errors.h"
#include "command.h"
#include "data/dataset.h"
#include "core/file.h"
#include "core/log.h"
#include "onnx/onnx_io.h"
#include "preprocess_flags.h"
#include "quant/quantize.h"

namespace inr::cli {

namespace fs = std::filesystem;

namespace {

bool is_image(const fs::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), ::tolower);
  return e == ".jpg" || e == ".jpeg" || e == ".png" || e == ".jpe";
}

// DIR (images found recursively, sorted) or LIST.txt (one path per line, relative to the list's folder).
Result<std::vector<std::string>> calibration_images(const std::string& arg, int64_t count) {
  std::vector<std::string> out;
  std::error_code ec;
  if (fs::is_directory(arg, ec)) {
    fs::recursive_directory_iterator it(arg, fs::directory_options::skip_permission_denied, ec), end;
    if (ec) return error("{}: cannot read calibration folder: {}", arg, ec.message());
    for (; it != end; it.increment(ec)) {
      if (ec) return error("{}: cannot read calibration folder: {}", arg, ec.message());
      if (it->is_regular_file(ec) && is_image(it->path())) out.push_back(it->path().string());
    }
    std::sort(out.begin(), out.end());
    if (out.empty()) return error("{}: no .jpg/.jpeg/.png images in the calibration folder", arg);
  } else if (fs::exists(arg, ec)) {
    std::ifstream in(arg);
    if (!in) return error("{}: cannot open calibration list", arg);
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

std::vector<std::string> split_list(const std::string& s) {
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

std::string mb(uintmax_t bytes) { return fmt::format("{:.1f} MB", static_cast<double>(bytes) / 1e6); }

}  // namespace

Command make_quantize_command(CLI::App& parent) {
  struct Flags {
    std::string model, output, mode, format = "qdq", calib = "minmax", calib_data, act = "u8", weight = "s8";
    std::string exclude, op_types, target;
    int64_t calib_count = 0;
    int64_t calib_sample = 0;
    uint64_t seed = 0;
    int calib_batch = 8;
    bool per_channel = false, per_tensor = false, symmetric_act = false, reduce_range = false;
    quant::CalibKnobs knobs;
    PreprocessFlags pre;
  };
  auto f = std::make_shared<Flags>();
  Command c;
  c.app = parent.add_subcommand("quantize", "Quantize a float model: fp16, dynamic int8 or static int8 (QDQ / QOperator)");
  c.app->add_option("-m,--model", f->model, "Input fp32 ONNX model")->required();
  c.app->add_option("-o,--output", f->output, "Output ONNX model")->required();
  // No default mode: fp16, dynamic and static int8 are different trade-offs, and static needs calibration data.
  c.app->add_option("--mode", f->mode, "fp16 | dynamic | static")->required()->check(one_of({"fp16", "dynamic", "static"}));
  c.app->add_option("--format", f->format, "Static format: qdq (QuantizeLinear/DequantizeLinear pairs) | qop (QLinear* ops)")
      ->check(one_of({"qdq", "qop"}));
  std::vector<std::string> calib_names;
  for (const auto& ci : quant::calibrators()) calib_names.emplace_back(ci.name);
  c.app->add_option("--calib", f->calib, "Calibrator: " + quant::calibrator_names())->check(one_of(calib_names));
  c.app->add_option("--calib-data", f->calib_data, "Calibration images: a folder (searched recursively) or a list file");
  c.app->add_option("--calib-count", f->calib_count, "Use at most N calibration images (0: all)")->check(at_least(0));
  c.app->add_option("--calib-sample", f->calib_sample,
                    "Use N calibration images drawn at random, balanced over their folders (the classes of a "
                    "wnid-folder layout); seeded by --seed")
      ->check(at_least(1));
  c.app->add_option("--seed", f->seed, "Seed of --calib-sample")->capture_default_str();
  c.app->add_option("--calib-batch", f->calib_batch, "Images per calibration batch")->check(at_least(1));
  c.app->add_option("--percentile", f->knobs.percentile, "percentile: percentile of the mass kept (ORT default 99.999)")
      ->check(in_range(50, 100));
  c.app->add_option("--bins", f->knobs.bins, "Histogram bins, a power of two (ORT default 2048)");
  c.app->add_option("--entropy-bins", f->knobs.entropy_quantized_bins, "entropy: quantized bins (ORT default 128)")
      ->check(at_least(1));
  c.app->add_option("--tfe-gamma", f->knobs.tfe_gamma, "tf-enhanced: clipping noise weight (AIMET default 3.0)");
  // Per-channel weights by default, the usual choice for CNNs: a depthwise conv's channels can differ by orders
  // of magnitude, and one scale for all of them loses the small ones (MobileNetV2 dynamic: 79.09% top-1 on val
  // per-channel, 72.26% per-tensor; README "Quantization").
  CLI::Option* pc = c.app->add_flag("--per-channel", f->per_channel, "One weight scale per output channel (the default)");
  c.app->add_flag("--per-tensor", f->per_tensor, "One weight scale per tensor")->excludes(pc);
  CLI::Option* act_opt = c.app->add_option("--act", f->act, "Activation type: u8 | s8")->check(one_of({"u8", "s8"}));
  CLI::Option* weight_opt =
      c.app->add_option("--weight", f->weight, "Weight type: s8 | u8")->check(one_of({"s8", "u8"}));
  c.app->add_flag("--symmetric-act", f->symmetric_act, "Symmetric activation ranges (zero point 0; needs --act s8)");
  c.app->add_flag("--reduce-range", f->reduce_range, "7-bit weights (for CPUs without VNNI; ORT's reduce_range)");
  c.app->add_option("--target", f->target,
                    "CPU the int8 model is for (sets --act/--weight/--reduce-range): vnni (u8 x s8, full range: exact "
                    "in ONNX Runtime only on VNNI/AMX CPUs) | avx2 (u8 x s8 7-bit: exact and fast on every x86 CPU) | "
                    "portable (u8 x u8, zero point 128: exact everywhere, full 8-bit weights)")
      ->check(one_of({"portable", "vnni", "avx2"}));
  c.app->add_option("--exclude", f->exclude, "Comma-separated node names (or output names) to leave float");
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const std::string& t : v) s += (s.empty() ? "" : ",") + t;
    return s;
  };
  c.app->add_option("--op-types", f->op_types, "Comma-separated op types to quantize")
      ->default_str("static: " + join(quant::default_op_types(quant::Mode::kStatic, quant::Format::kQdq)) +
                    "; dynamic: " + join(quant::default_op_types(quant::Mode::kDynamic, quant::Format::kQdq)));
  add_preprocess_flags(c.app, f->pre);
  c.run = [f, act_opt, weight_opt] {
    quant::QuantOptions o;
    o.mode = f->mode == "fp16" ? quant::Mode::kFp16 : f->mode == "dynamic" ? quant::Mode::kDynamic : quant::Mode::kStatic;
    quant::TypeFlags given;
    if (act_opt->count()) given.act = f->act == "s8" ? DType::kI8 : DType::kU8;
    if (weight_opt->count()) given.weight = f->weight == "u8" ? DType::kU8 : DType::kI8;
    given.reduce_range = f->reduce_range;
    given.symmetric_act = f->symmetric_act;
    auto target = quant::parse_target(f->target.empty() ? "none" : f->target);
    if (!target) return fail(target.status());
    if (Status s = quant::apply_target(*target, given, o); !s) return fail(s);
    if (o.symmetric_act && o.act != DType::kI8) return fail(error("--symmetric-act needs --act s8"));
    o.format = f->format == "qop" ? quant::Format::kQop : quant::Format::kQdq;
    o.calibrator = f->calib;
    o.knobs = f->knobs;
    o.knobs.symmetric = o.symmetric_act;
    o.per_channel = !f->per_tensor;
    o.exclude = split_list(f->exclude);
    o.op_types = split_list(f->op_types);
    if (Status s = quant::Histogram::validate_bins(o.knobs.bins); !s) return fail(s);

    // Check the output location before the (possibly long) calibration.
    fs::path out_dir = fs::path(f->output).parent_path();
    if (out_dir.empty()) out_dir = ".";
    std::error_code ec;
    if (!fs::is_directory(out_dir, ec)) return fail(error("{}: output folder {} does not exist", f->output, out_dir.string()));
    if (fs::is_directory(f->output, ec)) return fail(error("{}: output is a folder", f->output));

    quant::CalibData data;
    if (o.mode == quant::Mode::kStatic) {
      if (f->calib_data.empty()) return fail(error("--mode static needs --calib-data DIR|LIST"));
      if (f->calib_count > 0 && f->calib_sample > 0)
        return fail(error("--calib-count (the first N) and --calib-sample (a random N) are alternatives: give one"));
      auto paths = calibration_images(f->calib_data, f->calib_count);
      if (!paths) return fail(paths.status());
      data.paths = std::move(*paths);
      if (f->calib_sample > 0) {
        // One class per folder: class-balanced on wnid folders, uniform on a flat folder or list.
        std::map<std::string, int> folder_class;
        std::vector<data::Sample> all;
        for (const std::string& p : data.paths) {
          std::string folder = fs::path(p).parent_path().string();
          int label = folder_class.emplace(folder, static_cast<int>(folder_class.size())).first->second;
          all.push_back({p, p, label});
        }
        data.paths.clear();
        for (const data::Sample& s : data::balanced_sample(all, static_cast<size_t>(f->calib_sample), f->seed))
          data.paths.push_back(s.path);
      }
      auto spec = resolve(f->pre);
      if (!spec) return fail(spec.status());
      data.spec = *spec;
      data.decode = decode_options(f->pre);
      data.batch = f->calib_batch;
      if (stderr_is_tty())
        data.progress = [](size_t done, size_t total) {
          std::fprintf(stderr, "\rcalibrating: %zu/%zu images", done, total);
          if (done == total) std::fprintf(stderr, "\n");
          std::fflush(stderr);
        };
    }

    auto graph = import_onnx_file(f->model);
    if (!graph) {
      const std::string& m = graph.status().message();
      for (const char* q : {"QuantizeLinear", "QLinear", "ConvInteger", "MatMulInteger"})
        if (m.find(q) != std::string::npos) return fail(error("{}: model is already quantized ({})", f->model, m));
      return fail(graph.status());
    }
    quant::QuantReport report;
    Result<std::unique_ptr<Graph>> out = Status::error("unreachable");
    if (o.mode == quant::Mode::kFp16) out = quant::quantize_fp16(**graph, report);
    else if (o.mode == quant::Mode::kDynamic) out = quant::quantize_dynamic(**graph, o, report);
    else out = quant::quantize_static(**graph, o, data, report);
    if (!out) return fail(out.status().with_context(f->model));
    for (const auto& s : report.skipped) log_warn("left float: {}", s);
    for (const auto& s : report.skipped_images) log_warn("calibration image skipped: {}", s);
    Status st = export_onnx_file(**out, f->output);
    if (!st) return fail(st.with_context(f->output));

    uintmax_t before = fs::file_size(f->model, ec), after = fs::file_size(f->output, ec);
    std::printf("mode:        %s\n", report.mode.c_str());
    if (o.target != quant::Target::kNone) std::printf("target:      %s\n", quant::target_name(o.target));
    if (o.mode == quant::Mode::kStatic) {
      std::printf("calibrator:  %s%s\n", report.calibrator.c_str(),
                  o.calibrator == "percentile" ? fmt::format(" ({})", o.knobs.percentile).c_str() : "");
      std::printf("images:      %zu used%s (%zu tensors observed)\n", report.images_used,
                  report.images_failed ? fmt::format(", {} unreadable", report.images_failed).c_str() : "",
                  report.observed_tensors);
      std::printf("weights:     %s %s%s, activations %s%s\n", o.weight == DType::kU8 ? "u8" : "s8",
                  o.per_channel ? "per-channel" : "per-tensor",
                  o.reduce_range ? " (7-bit)" : o.weight_zp128 ? " (zero point 128)" : "",
                  o.act == DType::kU8 ? "u8" : "s8", o.symmetric_act ? " symmetric" : "");
    }
    if (o.mode == quant::Mode::kFp16)
      std::printf("converted:   %d initializers to fp16 (graph inputs/outputs stay fp32)\n", report.nodes_quantized);
    else
      std::printf("nodes:       %d quantized, %zu left float\n", report.nodes_quantized, report.skipped.size());
    if (report.full_range_u8s8 > 0)
      std::printf("note:        full-range u8 x s8 weights: ONNX Runtime is exact only on VNNI/AMX CPUs; on AVX2 / "
                  "AVX-512 without VNNI its results differ (use --target avx2 or portable)\n");
    std::printf("size:        %s -> %s (%.2fx)\n", mb(before).c_str(), mb(after).c_str(),
                after ? static_cast<double>(before) / static_cast<double>(after) : 0.0);
    struct rusage ru {};
    getrusage(RUSAGE_SELF, &ru);
    std::printf("peak RSS:    %.0f MB\n", static_cast<double>(ru.ru_maxrss) / 1024.0);
    std::printf("wrote %s\n", f->output.c_str());
    return 0;
  };
  return c;
}

}  // namespace inr::cli
