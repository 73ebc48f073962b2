// `inr quantize -m IN -o OUT --mode fp16|dynamic|static [--format qdq|qop] [--calib-data DIR|LIST.txt]
//  [--calib-count N] [-p PRESET] [--calib minmax|percentile|entropy|l2|tf-enhanced] [--per-tensor]
//  [--target portable|vnni|avx2] [--weight-bits 8|4] [--export-encodings] [--encodings FILE] ...`
// --mode is required; int8 weights are per-channel unless --per-tensor is given.
// Writes the quantized model atomically (nothing is left behind on error) and prints a summary: mode,
// calibrator, images used, nodes quantized / left float, sizes before and after, and a note when the model
// multiplies u8 activations by full-range s8 weights (inexact in ONNX Runtime on CPUs without VNNI).
//
// Distributed calibration (README "Distributed calibration"):
//   inr quantize -m M --mode static --calib-data D [...] --calib-shard K/N|auto --save-observers obs-K.bin
//   inr quantize -m M --mode static -o OUT [...] --observers obs-*.bin
// The first writes one shard's observers (no model); the second merges every shard's and writes the model,
// byte for byte the model of `inr quantize -m M --mode static --calib-data D -o OUT [...]`.
#include <sys/resource.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include <fmt/ranges.h>

#include "cli_errors.h"
#include "command.h"
#include "data/dataset.h"
#include "core/file.h"
#include "core/log.h"
#include "onnx/onnx_io.h"
#include "preprocess_flags.h"
#include "progress.h"
#include "inr/quantize.h"
#include "quant/quantize.h"

namespace inr::cli {

namespace fs = std::filesystem;

namespace {

std::string mb(uintmax_t bytes) { return fmt::format("{:.1f} MB", static_cast<double>(bytes) / 1e6); }

}  // namespace

Command make_quantize_command(CLI::App& parent) {
  struct Flags {
    std::string model, output, mode, format = "qdq", calib = "minmax", calib_data, act = "u8", weight = "s8";
    std::string exclude, op_types, target, encodings;
    bool export_encodings = false;
    std::string calib_shard, save_observers;
    std::vector<std::string> observers;
    int64_t calib_count = 0;
    int64_t calib_sample = 0;
    uint64_t seed = 0;
    int calib_batch = 8;
    int weight_bits = 8;
    bool per_channel = false, per_tensor = false, symmetric_act = false, reduce_range = false;
    quant::CalibKnobs knobs;
    PreprocessFlags pre;
    bool json = false;
    std::string recipe, bias_correction, report, weight8, weight_range;
    bool cle = false, adaround = false;
    int adaround_iters = 0, adaround_batch = 32;
    int64_t adaround_images = 0;
    int adaround_positions = 64;
    double adaround_holdout = -1;
  };
  auto f = std::make_shared<Flags>();
  Command c;
  c.app = parent.add_subcommand("quantize", "Quantize a float model: fp16, dynamic int8 or static int8 (QDQ / QOperator)");
  c.app->add_option("-m,--model", f->model, "Input fp32 ONNX model")->required();
  c.app->add_option("-o,--output", f->output, "Output ONNX model (required, except with --save-observers)");
  // No default mode: fp16, dynamic and static int8 are different trade-offs, and static needs calibration data.
  CLI::Option* mode_opt =
      c.app->add_option("--mode", f->mode, "fp16 | dynamic | static (required unless --recipe)")->check(one_of({"fp16", "dynamic", "static"}));
  CLI::Option* recipe_opt = c.app->add_option(
      "--recipe", f->recipe,
      "AIMET zoo recipe: w8a8 | w4a8 = static QDQ, tf-enhanced ranges, CLE + AdaRound, per-channel symmetric "
      "8/4-bit weights, u8 asymmetric activations (README \"Advanced PTQ\")")->check(one_of({"w8a8", "w4a8"}));
  mode_opt->excludes(recipe_opt);
  c.app->add_flag("--cle", f->cle, "Cross-layer equalization first (Clip(0,6) between convs becomes Relu, as AIMET does)");
  c.app->add_option("--bias-correction", f->bias_correction,
                    "Bias correction, layer by layer: empirical (b -= E[quantized - float conv output] per channel "
                    "over the calibration images) | analytical ((W_q - W) E[x], E[x] from the BatchNorm statistics "
                    "of the float model; empirical for layers without)")
      ->check(one_of({"empirical", "analytical"}));
  c.app->add_flag("--adaround", f->adaround, "Learn the rounding of every weight (AdaRound, AIMET's settings)");
  c.app->add_option("--adaround-iters", f->adaround_iters, "AdaRound iterations per layer (default 10000; 15000 below 8 bits)")
      ->check(at_least(1));
  c.app->add_option("--adaround-batch", f->adaround_batch, "AdaRound images per iteration (8 sampled positions each)")
      ->check(at_least(1))->capture_default_str();
  c.app->add_option("--adaround-images", f->adaround_images,
                    "Calibration images the AdaRound / bias-correction samples come from (0: all)")->check(at_least(0));
  c.app->add_option("--adaround-positions", f->adaround_positions,
                    "Output positions per calibration image cached for AdaRound / bias correction (fewer where one "
                    "layer's cache would pass 128 MB)")
      ->check(in_range(1, 4096))->capture_default_str();
  c.app->add_option("--adaround-holdout", f->adaround_holdout,
                    "Fraction of the calibration images kept out of AdaRound's training: per layer, the rounding "
                    "(of 33 checkpoints, round-to-nearest included) with the least error on their rows is kept; 0: "
                    "AIMET's plain run (default 0.2 under --recipe w8a8, else 0)")
      ->check(in_range(0.0, 0.9));
  c.app->add_option("--weight-range", f->weight_range,
                    "Weight grid AdaRound / bias correction round onto: minmax (max|w| / qmax) | tf-enhanced "
                    "(AIMET's least-noise search; the recipes' default)")
      ->check(one_of({"minmax", "tf-enhanced"}));
  c.app->add_option("--report", f->report, "Write per-layer weight / output SQNR before and after each step (JSON)");
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
  c.app->add_option("--seed", f->seed, "Seed of --calib-sample and of the AdaRound / bias-correction sampling (cached output positions, rows drawn per iteration)")->capture_default_str();
  c.app->add_option("--calib-batch", f->calib_batch, "Images per calibration batch")->check(at_least(1));
  c.app->add_option("--calib-shard", f->calib_shard,
                    "Distributed calibration: observe only shard K/N of the calibration batches, or 'auto' (a Slurm "
                    "array task or Kubernetes Indexed Job, as eval --shard auto); needs --save-observers");
  c.app->add_option("--save-observers", f->save_observers,
                    "Write this shard's calibration statistics to FILE instead of a model (merge with --observers)");
  c.app->add_option("--observers", f->observers,
                    "Build the model from these observer files, one per shard (all of them), instead of calibrating; "
                    "the same bytes as one calibration over all the images")
      ->expected(1, -1);
  c.app->add_option("--percentile", f->knobs.percentile, "percentile: percentile of the mass kept (ORT default 99.999)")
      ->check(in_range(50, 100));
  c.app->add_option("--bins", f->knobs.bins, "Histogram bins, a power of two (ORT default 2048)");
  c.app->add_option("--entropy-bins", f->knobs.entropy_quantized_bins, "entropy: quantized bins (ORT default 128)")
      ->check(at_least(1));
  c.app->add_option("--tfe-gamma", f->knobs.tfe_gamma, "tf-enhanced: clipping noise weight (AIMET default 3.0)")
      ->check(at_least(0));
  // Per-channel weights by default, the usual choice for CNNs: a depthwise conv's channels can differ by orders
  // of magnitude, and one scale for all of them loses the small ones (MobileNetV2 dynamic: 79.09% top-1 on val
  // per-channel, 72.26% per-tensor; README "Quantization").
  CLI::Option* pc = c.app->add_flag("--per-channel", f->per_channel, "One weight scale per output channel (the default)");
  c.app->add_flag("--per-tensor", f->per_tensor, "One weight scale per tensor")->excludes(pc);
  CLI::Option* act_opt = c.app->add_option("--act", f->act, "Activation type: u8 | s8")->check(one_of({"u8", "s8"}));
  CLI::Option* weight_opt =
      c.app->add_option("--weight", f->weight, "Weight type: s8 | u8")->check(one_of({"s8", "u8"}));
  c.app->add_option("--weight-bits", f->weight_bits,
                    "Weight bits: 8, or 4 (symmetric per-channel s4 weights as ONNX INT4 initializers with "
                    "DequantizeLinear; static QDQ, opset 21; activations stay 8-bit)")
      ->check(one_of({"8", "4"}));
  c.app->add_option("--weight8", f->weight8,
                    "With 4-bit weights: layers kept at 8 bits (AIMET's param_bw_override_list), comma-separated: "
                    "first, last (the first / last quantized Conv/Gemm/MatMul), depthwise (every depthwise Conv) or node / "
                    "output names");
  // Opt-in rather than always beside -o: most users want one file, and a second output written silently
  // next to the model would be left behind or overwritten without them asking.
  c.app->add_flag("--export-encodings", f->export_encodings,
                  "Also write the grids used as AIMET .encodings (JSON, layout 0.6.1) beside -o: "
                  "OUT.onnx -> OUT.encodings (static QDQ)");
  c.app->add_option("--encodings", f->encodings,
                    "Build the static QDQ model from the ranges in an AIMET .encodings file (0.6.1: "
                    "activation_encodings / param_encodings) instead of calibrating; no --calib-data");
  c.app->add_flag("--symmetric-act", f->symmetric_act, "Symmetric activation ranges (zero point 0; needs --act s8)");
  c.app->add_flag("--reduce-range", f->reduce_range, "7-bit weights (for CPUs without VNNI; ORT's reduce_range)");
  c.app->add_option("--target", f->target,
                    "CPU the int8 model is for (sets --act/--weight/--reduce-range): vnni (u8 x s8, full range: exact "
                    "in ONNX Runtime only on VNNI/AMX CPUs) | avx2 (u8 x s8 7-bit: exact and fast on every x86 CPU) | "
                    "portable (u8 x u8, zero point 128: exact everywhere, full 8-bit weights) | gemmini (the emulated "
                    "Gemmini, -x 0/1/2: s8 x s8, zero points 0, per-tensor scales)")
      ->check(one_of({"portable", "vnni", "avx2", "gemmini"}));
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
  c.app->add_flag("--json", f->json, "Print the summary as one JSON object (schema inr.quantize.summary)");
  c.run = [f, act_opt, weight_opt] {
    QuantizeRequest r;
    r.model = f->model;
    r.output = f->output;
    r.mode = f->mode;
    r.recipe = f->recipe;
    if (r.mode.empty() && r.recipe.empty()) {  // a command-line error, like CLI11's own: exit code 2
      std::fprintf(stderr, "inr: error: --mode is required (fp16 | dynamic | static)\n");
      return 2;
    }
    r.cle = f->cle;
    r.bias_correction = f->bias_correction;
    r.adaround = f->adaround;
    r.adaround_iters = f->adaround_iters;
    r.adaround_batch = f->adaround_batch;
    r.weight_range = f->weight_range;
    r.adaround_images = f->adaround_images;
    r.adaround_positions = f->adaround_positions;
    r.adaround_holdout = f->adaround_holdout;
    r.weight8 = split_names(f->weight8);
    r.report = f->report;
    r.format = f->format;
    r.calibrator = f->calib;
    r.calib_data = f->calib_data;
    r.calib_count = f->calib_count;
    r.calib_sample = f->calib_sample;
    r.seed = f->seed;
    r.calib_batch = f->calib_batch;
    r.bins = f->knobs.bins;
    r.percentile = f->knobs.percentile;
    r.entropy_bins = f->knobs.entropy_quantized_bins;
    r.tfe_gamma = f->knobs.tfe_gamma;
    r.preprocess = f->pre;
    r.calib_shard = f->calib_shard;
    r.save_observers = f->save_observers;
    r.observers = f->observers;
    if (r.mode == "static" || !r.recipe.empty()) note_preset(f->pre);
    if (act_opt->count()) r.act = f->act;
    if (weight_opt->count()) r.weight = f->weight;
    r.target = f->target;
    r.per_tensor = f->per_tensor;
    r.weight_bits = f->weight_bits;
    r.encodings = f->encodings;
    r.export_encodings = f->export_encodings;
    r.symmetric_act = f->symmetric_act;
    r.reduce_range = f->reduce_range;
    r.exclude = split_names(f->exclude);
    r.op_types = split_names(f->op_types);
    const bool tty = stderr_is_tty();
    if (tty)
      r.progress = [](size_t done, size_t total) {
        std::fprintf(stderr, "\rcalibrating: %zu/%zu images", done, total);
        if (done == total) std::fprintf(stderr, "\n");
        std::fflush(stderr);
      };
    if (tty) {
      auto bar = std::make_shared<ProgressBar>(true, "it");
      auto layers = std::make_shared<ProgressBar>(true, "layers");
      r.ptq_progress = [bar, layers](const std::string& stage, size_t done, size_t total) {
        (stage == "adaround" ? bar : layers)->update(done, total);
      };
    }
    r.note = [](const std::string& line) { std::fprintf(stderr, "inr: %s\n", line.c_str()); };
    auto j = quantize_model(r);
    if (!j) return fail(j.status());
    struct rusage ru {};
    getrusage(RUSAGE_SELF, &ru);
    const double peak_rss_mb = static_cast<double>(ru.ru_maxrss) / 1024.0;
    if (!f->save_observers.empty()) {  // one shard of a distributed calibration: no model
      (*j)["peak_rss_mb"] = peak_rss_mb;
      if (f->json) {
        std::printf("%s\n", j->dump().c_str());
        return 0;
      }
      const int64_t failed = (*j)["images_failed"].get<int64_t>();
      std::printf("shard:       %s (calibrator %s)\n", (*j)["shard"].get<std::string>().c_str(),
                  (*j)["calibrator"].get<std::string>().c_str());
      std::printf("images:      %ld used%s (%ld tensors observed)\n", (*j)["images_used"].get<long>(),
                  failed ? fmt::format(", {} unreadable", failed).c_str() : "", (*j)["observed_tensors"].get<long>());
      std::printf("peak RSS:    %.0f MB\n", peak_rss_mb);
      std::printf("wrote %s (%s)\n", f->save_observers.c_str(), mb((*j)["bytes"].get<uintmax_t>()).c_str());
      return 0;
    }
    if (f->json) {
      std::printf("%s\n", j->dump().c_str());
      return 0;
    }
    std::printf("mode:        %s\n", (*j)["mode"].get<std::string>().c_str());
    if (j->contains("steps")) {
      const nlohmann::json& st = (*j)["steps"];
      std::string line = fmt::format("recipe {}, {}-bit weights", (*j)["recipe"].get<std::string>(), (*j)["weight_bits"].get<int>());
      if (st.contains("cle"))
        line += fmt::format("; CLE: {} pairs + {} triplets, {} ReLU6 -> ReLU (changes the function, as in AIMET)",
                            st["cle"]["pairs"].get<int>(), st["cle"]["triplets"].get<int>(), st["cle"]["relu6_replaced"].get<int>());
      if (st.contains("adaround"))
        line += fmt::format("; AdaRound: {} layers x {} iterations", st["adaround"]["layers"].get<size_t>(),
                            st["adaround"]["iterations"].get<int>());
      if (st.contains("bias_correction"))
        line += fmt::format("; bias correction: {} ({} analytical, {} empirical)", st["bias_correction"].get<std::string>(),
                            st["bias_correction_layers"]["analytical"].get<int>(), st["bias_correction_layers"]["empirical"].get<int>());
      if (st.contains("cle") && st["cle"]["high_bias_absorption"]["batchnorm_statistics"].get<bool>())
        line += fmt::format("; high-bias absorption: {} pairs, {} channels", st["cle"]["high_bias_absorption"]["pairs"].get<int>(),
                            st["cle"]["high_bias_absorption"]["channels"].get<int>());
      std::printf("ptq:         %s\n", line.c_str());
    }
    if (j->contains("target")) std::printf("target:      %s\n", (*j)["target"].get<std::string>().c_str());
    if (j->contains("calibrator")) {
      std::printf("calibrator:  %s%s\n", (*j)["calibrator"].get<std::string>().c_str(),
                  j->contains("percentile") ? fmt::format(" ({})", (*j)["percentile"].get<double>()).c_str() : "");
      const int64_t failed = (*j)["images_failed"].get<int64_t>();
      std::printf("images:      %ld used%s (%ld tensors observed%s)\n", (*j)["images_used"].get<long>(),
                  failed ? fmt::format(", {} unreadable", failed).c_str() : "", (*j)["observed_tensors"].get<long>(),
                  j->contains("observer_shards")
                      ? fmt::format(", merged from {} shards", (*j)["observer_shards"].get<long>()).c_str()
                      : "");
      const nlohmann::json& w = (*j)["weights"];
      const nlohmann::json& a = (*j)["activations"];
      std::printf("weights:     %s %s%s, activations %s%s\n", w["type"].get<std::string>().c_str(),
                  w["granularity"].get<std::string>().c_str(),
                  w["reduce_range"].get<bool>() ? " (7-bit)" : w["zero_point_128"].get<bool>() ? " (zero point 128)" : "",
                  a["type"].get<std::string>().c_str(), a["symmetric"].get<bool>() ? " symmetric" : "");
      if (w.contains("kept_8bit"))
        std::printf("8-bit:       %s (--weight8)\n", fmt::format("{}", fmt::join(w["kept_8bit"].get<std::vector<std::string>>(), ", ")).c_str());
    }
    if (f->mode == "fp16")
      std::printf("converted:   %d initializers to fp16 (graph inputs/outputs stay fp32)\n", (*j)["nodes_quantized"].get<int>());
    else
      std::printf("nodes:       %d quantized, %zu left float\n", (*j)["nodes_quantized"].get<int>(), (*j)["left_float"].size());
    if ((*j)["full_range_u8s8"].get<int64_t>() > 0)
      std::printf("note:        full-range u8 x s8 weights: ONNX Runtime is exact only on VNNI/AMX CPUs; on AVX2 / "
                  "AVX-512 without VNNI its results differ (use --target avx2 or portable)\n");
    const auto before = (*j)["bytes_before"].get<uintmax_t>(), after = (*j)["bytes_after"].get<uintmax_t>();
    std::printf("size:        %s -> %s (%.2fx)\n", mb(before).c_str(), mb(after).c_str(),
                after ? static_cast<double>(before) / static_cast<double>(after) : 0.0);
    std::printf("peak RSS:    %.0f MB\n", peak_rss_mb);
    std::printf("wrote %s\n", f->output.c_str());
    if (f->export_encodings) std::printf("wrote %s\n", (*j)["encodings"].get<std::string>().c_str());
    return 0;
  };
  return c;
}

}  // namespace inr::cli
