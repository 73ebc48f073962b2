// Quantizing a float ONNX model, as a library call: what `inr quantize` does (the CLI parses flags and calls
// quantize_model()), and what the Python module's inr.quantize() returns. README "Quantization".
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "inr/preprocess_options.h"
#include "inr/status.h"

namespace inr {

struct QuantizeRequest {
  std::string model;   // input float model
  std::string output;  // written atomically
  std::string mode;    // fp16 | dynamic | static (required)
  std::string format = "qdq";  // static: qdq | qop
  // Static calibration.
  std::string calibrator = "minmax";  // inr list calibrators
  std::string calib_data;             // a folder (searched recursively) or a list file
  int64_t calib_count = 0;            // the first N images (0: all)
  int64_t calib_sample = 0;           // N images drawn at random, balanced over their folders
  uint64_t seed = 0;                  // of calib_sample
  int calib_batch = 8;
  int bins = 2048;                    // histogram calibrators
  double percentile = 99.999;
  int entropy_bins = 128;
  double tfe_gamma = 3.0;
  PreprocessOptions preprocess;       // how calibration images are preprocessed
  // Distributed calibration (README "Distributed calibration"): each shard runs with calib_shard ("K/N",
  // or "auto" for a Slurm array task / Kubernetes Indexed Job) and save_observers (the observers of its
  // share of the calibration batches go to that file; no model is written, `output` must be empty); then
  // one run with `observers` (every shard's file, no calib_data) merges them and writes the model, the
  // same bytes as a one-process calibration on all the images.
  std::string calib_shard;
  std::string save_observers;
  std::vector<std::string> observers;
  // Types: "" = the default (u8 activations, s8 weights, or what `target` implies).
  std::string act, weight, target;    // act u8|s8, weight s8|u8, target vnni|avx2|portable
  bool per_tensor = false;            // one weight scale per tensor (default: per channel)
  // 8, or 4: symmetric s4 weights (AIMET's grid: scale max|w| / 7, zero point 0) as ONNX INT4 initializers
  // with DequantizeLinear-21 (static QDQ only; the output model is opset 21, IR 10). Activations stay 8-bit.
  int weight_bits = 8;
  // With weight_bits 4: layers whose weights stay 8-bit (AIMET's param_bw_override_list): "first" (the first
  // quantized Conv/Gemm/MatMul), "last" (the last), "depthwise" (every Conv with one input channel per group),
  // or node / output names.
  std::vector<std::string> weight8;
  // AIMET .encodings (JSON, layout 0.6.1). `encodings`: build the static QDQ model from the grids in this file
  // instead of calibrating (no calib_data). `export_encodings`: also write the grids used to
  // <output without .onnx>.encodings, the name AIMET gives it (static QDQ only).
  std::string encodings;
  bool export_encodings = false;
  bool symmetric_act = false;
  bool reduce_range = false;
  std::vector<std::string> exclude;   // node or output names to leave float
  std::vector<std::string> op_types;  // empty: the mode's defaults
  // Post-training optimisations (issue #10; README "Advanced PTQ"). A recipe sets the AIMET zoo
  // configuration: "w8a8" | "w4a8" = static QDQ, tf-enhanced, CLE + AdaRound, per-channel symmetric
  // weights of 8 / 4 bits, u8 asymmetric activations; it implies mode static.
  std::string recipe;
  bool cle = false;                   // cross-layer equalization (ReLU6 between convs becomes ReLU)
  std::string bias_correction;        // "" | "empirical" | "analytical"
  bool adaround = false;
  int adaround_iters = 0;             // 0: 10000, or 15000 below 8 bits (AIMET)
  int adaround_batch = 32;            // images per iteration (each gives 8 sampled positions)
  int64_t adaround_images = 0;        // calibration images the layer samples come from (0: all)
  int adaround_positions = 64;        // output positions cached per image (fewer when the memory budget binds)
  double adaround_holdout = -1;       // fraction of the images held out to choose each layer's rounding; 0: none (AIMET);
                                      // < 0: the default, 0.2 under recipe w8a8, else 0 (README "Advanced PTQ")
  // The weight grid AdaRound / bias correction round onto: "minmax" (scale max|w| / qmax) or "tf-enhanced"
  // (AIMET's search, its default for param encodings); "": minmax, tf-enhanced under a recipe.
  std::string weight_range;
  std::string report;                 // per-layer JSON report (weight / output SQNR per step); "" none
  // (stage, done, total) of the weight optimisation ("adaround": iterations over all layers; "layers").
  std::function<void(const std::string&, size_t, size_t)> ptq_progress;
  // Called with (images done, images in all) during calibration; empty: nothing.
  std::function<void(size_t, size_t)> progress;
  // Warnings for the user (one line each, without "inr: "); empty: dropped.
  std::function<void(const std::string&)> note;
};

// "a,b,,c" -> {"a", "b", "c"}: the comma-separated names of --exclude and --op-types (empty items dropped),
// for the CLI and the Python module alike.
std::vector<std::string> split_names(const std::string& comma_separated);

// With save_observers: writes that file and returns {schema inr.quantize.observers_summary, model,
// observers (the path), shard, calibrator, images_used, images_failed, observed_tensors, bytes}.
// Otherwise writes request.output and returns the summary (schema inr.quantize.summary): mode, target, calibrator,
// images_used, images_failed, observed_tensors, weights ({type, bits, granularity, reduce_range, zero_point_128}),
// activations ({type, symmetric}), nodes_quantized, left_float (names), full_range_u8s8 (count of weights
// ONNX Runtime multiplies inexactly without VNNI), bytes_before, bytes_after, encodings (the file written or
// read, when one was), observer_shards (from --observers), and the input model's
// provenance ("model": {path, bytes, sha256}).
Result<nlohmann::json> quantize_model(const QuantizeRequest& request);

}  // namespace inr
