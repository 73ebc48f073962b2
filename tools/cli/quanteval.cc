// `inr quanteval --recipe w8a8|w4a8 -m MODEL --data DIR|LIST [--calib-data DIR --calib-count N] [-o OUT]`:
// the AIMET model zoo's quanteval script in one command. Quantizes MODEL with the recipe (README "Advanced
// PTQ"), evaluates the float and the quantized model on the same images and prints both top-1 with the
// paired delta, its 95% interval and McNemar's p. --json prints schema inr.quanteval (include/inr/quanteval.h).
#include "cli_errors.h"
#include "command.h"
#include "eval_common.h"
#include "inr/quanteval.h"
#include "preprocess_flags.h"
#include "progress.h"
#include "session_flags.h"

namespace inr::cli {

Command make_quanteval_command(CLI::App& parent) {
  struct Flags {
    std::string model, output, recipe, calib_data, weight8, bias_correction, weight_range;
    int64_t calib_count = 0, adaround_images = 0;
    int adaround_iters = 0, adaround_batch = 32, batch = 0, adaround_positions = 64;
    double adaround_holdout = -1;
    SessionFlags session;
    PreprocessFlags pre;
    DatasetFlags dataset;
    bool json = false;
  };
  auto f = std::make_shared<Flags>();
  Command c;
  c.app = parent.add_subcommand("quanteval",
                                "Quantize with a recipe (w8a8 | w4a8) and evaluate float vs quantized on the same images");
  c.app->add_option("--recipe", f->recipe, "w8a8 | w4a8 (inr quantize --recipe)")->required()->check(one_of({"w8a8", "w4a8"}));
  c.app->add_option("-m,--model", f->model, "Float ONNX model")->required();
  c.app->add_option("-o,--output", f->output, "Keep the quantized model here (default: a temporary file, removed)");
  c.app->add_option("--calib-data", f->calib_data, "Calibration images, a folder or list (default: the --data images)");
  c.app->add_option("--calib-count", f->calib_count, "Use at most N calibration images (0: all)")->check(at_least(0));
  c.app->add_option("--adaround-iters", f->adaround_iters, "AdaRound iterations per layer (default 10000; 15000 below 8 bits)")
      ->check(at_least(1));
  c.app->add_option("--adaround-batch", f->adaround_batch, "AdaRound images per iteration")->check(at_least(1))->capture_default_str();
  c.app->add_option("--adaround-images", f->adaround_images, "Calibration images the AdaRound samples come from (0: all)")
      ->check(at_least(0));
  c.app->add_option("--adaround-positions", f->adaround_positions, "Output positions cached per calibration image (inr quantize --adaround-positions)")
      ->check(in_range(1, 4096))->capture_default_str();
  c.app->add_option("--adaround-holdout", f->adaround_holdout,
                    "Fraction of the calibration images held out to choose each layer's rounding; 0: AIMET's plain run "
                    "(default 0.2 under --recipe w8a8, else 0; inr quantize --adaround-holdout)")
      ->check(in_range(0.0, 0.9));
  c.app->add_option("--weight8", f->weight8, "w4a8: layers kept at 8 bits (first, last, depthwise or names; inr quantize --weight8)");
  c.app->add_option("--bias-correction", f->bias_correction, "After AdaRound: empirical | analytical (inr quantize --bias-correction)")
      ->check(one_of({"empirical", "analytical"}));
  c.app->add_option("--weight-range", f->weight_range, "Weight grid: tf-enhanced (default) | minmax (inr quantize --weight-range)")
      ->check(one_of({"minmax", "tf-enhanced"}));
  c.app->add_option("--batch", f->batch, "Images per inference in the evaluation (default 16)")->check(at_least(1));
  c.app->add_option("--threads", f->session.threads, "Intra-op threads (0: the default)")->check(in_range(0, kMaxSessionThreads));
  add_preprocess_flags(c.app, f->pre);
  add_dataset_flags(c.app, f->dataset, /*required=*/true);
  c.app->add_flag("--json", f->json, "Print one JSON object (schema inr.quanteval)");
  c.run = [f] {
    Status st = apply_session_flags(f->session);
    if (!st) return fail(st);
    note_preset(f->pre);
    QuantEvalRequest r;
    QuantizeRequest& q = r.quantize;
    q.model = f->model;
    q.output = f->output;
    q.recipe = f->recipe;
    q.calib_data = f->calib_data;
    q.calib_count = f->calib_count;
    q.adaround_iters = f->adaround_iters;
    q.adaround_batch = f->adaround_batch;
    q.adaround_images = f->adaround_images;
    q.adaround_positions = f->adaround_positions;
    q.adaround_holdout = f->adaround_holdout;
    q.weight8 = split_names(f->weight8);
    q.bias_correction = f->bias_correction;
    q.weight_range = f->weight_range;
    q.preprocess = f->pre;
    const bool tty = stderr_is_tty();
    if (tty) {
      auto bar = std::make_shared<ProgressBar>(true, "it");
      q.ptq_progress = [bar](const std::string& stage, size_t done, size_t total) {
        if (stage == "adaround") bar->update(done, total);
      };
    }
    q.note = [](const std::string& line) { std::fprintf(stderr, "inr: %s\n", line.c_str()); };
    CompareOptions& o = r.compare;
    o.session = session_options(f->session);
    o.dataset = f->dataset;
    o.batch = f->batch;
    o.progress = progress_callback(tty);
    o.note = q.note;
    auto j = quanteval(r);
    if (!j) return fail(j.status());
    if (f->json) {
      std::printf("%s\n", j->dump().c_str());
      return 0;
    }
    auto pct = [](double v) { return 100.0 * v; };
    const nlohmann::json& fl = (*j)["float"];
    const nlohmann::json& qu = (*j)["quantized"];
    std::printf("recipe:      %s (%s)\n", (*j)["recipe"].get<std::string>().c_str(),
                (*j)["quantize"]["mode"].get<std::string>().c_str());
    std::printf("images:      %ld evaluated, %ld calibration\n", fl["images"].get<long>(),
                (*j)["quantize"]["images_used"].get<long>());
    std::printf("float:       top-1 %.2f%%  [%.2f%%, %.2f%%]\n", pct(fl["top1"].get<double>()),
                pct(fl["top1_ci"][0].get<double>()), pct(fl["top1_ci"][1].get<double>()));
    std::printf("quantized:   top-1 %.2f%%  [%.2f%%, %.2f%%]\n", pct(qu["top1"].get<double>()),
                pct(qu["top1_ci"][0].get<double>()), pct(qu["top1_ci"][1].get<double>()));
    std::printf("delta:       %+.2f points  95%% CI [%+.2f, %+.2f]  McNemar p = %.3g\n", pct((*j)["delta"].get<double>()),
                pct((*j)["delta_ci"][0].get<double>()), pct((*j)["delta_ci"][1].get<double>()),
                (*j)["mcnemar_p"].get<double>());
    if (!f->output.empty()) std::printf("wrote %s\n", f->output.c_str());
    return 0;
  };
  return c;
}

}  // namespace inr::cli
