// The quantizer: fp32 ONNX graph -> fp16, dynamic int8 or static int8 (QDQ or QOperator) graph that ONNX
// Runtime runs and inr runs once its int8 ops exist.
//
// Contract:
//  - Inputs are never modified: every entry point takes a const Graph and returns a new one.
//  - Nodes that cannot be quantized (unknown op type in --op-types, integer tensors, missing statistics,
//    unsupported attribute) stay float; each gets one warning line in QuantReport::skipped.
//  - Static calibration streams images batch by batch through per-tensor observers (observer.h): memory
//    is one batch of activations plus `bins` doubles per observed tensor, independent of the image count.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "image/image.h"
#include "image/preprocess.h"
#include "inr/dtype.h"
#include "ir/graph.h"
#include "quant/calibrator.h"
#include "quant/observer.h"

namespace inr::quant {

enum class Mode { kFp16, kDynamic, kStatic };
enum class Format { kQdq, kQop };
// How a weight scale is chosen: kMinMax = max|w| / qmax; kTfEnhanced = AIMET's TF-enhanced search
// (SqnrEncodingAnalyzer, the scheme AIMET computes param encodings with before AdaRound): of the 101 scales
// max|w| / qmax * d / 101 (d = 1..101), the one with the least noise sum (qdq(w) - w)^2 over the channel's
// weights, a clipped weight's noise counted 3 times (AIMET's gamma). AIMET evaluates that noise on a
// histogram's bin centres; the weights are few enough to use them directly.
enum class WeightRange { kMinMax, kTfEnhanced };

// The x86 CPU family whose ONNX Runtime int8 kernels the model is quantized for (issue #9). ORT multiplies
// u8 activations by s8 weights with vpmaddubsw on CPUs without VNNI (AVX2, AVX-512 without VNNI); its int16
// pair sums saturate, so full-range s8 weights give inexact results there. 7-bit weights (|w| <= 64) cannot
// saturate a pair (2 * 255 * 64 < 32767), and ORT's u8 x u8 path widens to int16 (vpmaddwd): exact.
//   kNone:     --act / --weight / --reduce-range as given (the default).
//   kVnni:     u8 activations, s8 weights, full range: fastest on VNNI/AMX CPUs, exact in ORT only there.
//   kAvx2:     u8 activations, s8 weights with reduce-range (7-bit): exact and fast on every x86 CPU.
//   kPortable: u8 activations, u8 weights = symmetric s8 + 128 (zero point 128 on every channel): the same
//              weight grid as kVnni, exact on every CPU, slower in ORT on CPUs without VNNI.
//   kGemmini:  what onnxruntime-riscv's `calibrate.py --mode int8 --static` wrote for the Systolic EP (issue
//              #11): s8 activations with symmetric ranges (zero point 0), s8 weights, one scale per tensor.
//              A Relu / Clip(0, x) after a Conv, MatMul, Gemm or Add stays in the graph, and the producer's
//              output is quantized with the activation output's scale, so DQ -> Relu/Clip -> Q maps int8 v to
//              clamp(v, 0, hi): the ReLU / ReLU6 the Gemmini backend folds into the op (systolic_backend.h).
enum class Target { kNone, kPortable, kVnni, kAvx2, kGemmini };

// Post-training optimisations (ptq.h, issue #10).
struct CleReport {
  int pairs = 0, triplets = 0;
  int relu6_replaced = 0;  // Clip(0, x) between two convs turned into Relu (changes the function)
  // High-bias absorption: conv pairs (through Relu) whose bias moved, and channels with c > 0.
  int hba_pairs = 0, hba_channels = 0;
  bool bn_stats = false;  // the float graph had BatchNorm statistics (absorption possible)
  std::vector<std::string> sets;  // "a -> b" / "a -> dw -> b" per scaled set (node keys)
};

// AdaRound (adaround.cc).
struct AdaRoundOptions {
  int iterations = 10000;
  int batch = 32;              // images per iteration; each contributes `positions_per_iter` rows
  int positions_per_iter = 8;  // output positions drawn per image and iteration
  float reg = 0.01f, beta_start = 20.f, beta_end = 2.f, warm_start = 0.2f;
  float lr = 1e-3f;
  uint64_t seed = 0;
  // Fraction of the calibration images whose rows are held out of training to choose, per layer, the rounding
  // (of `checks` + 1 evenly spaced iterations, round-to-nearest included) with the least reconstruction error
  // on them; 0: AIMET's plain run (the final rounding). At least one image each side when > 0.
  double holdout = 0;
  int checks = 32;
};

struct PtqOptions {
  bool adaround = false;
  // "" | "empirical" | "analytical" (from BatchNorm statistics where the layer's input has them; the other
  // layers fall back to empirical, and the layer report says which got which).
  std::string bias_correction;
  int weight_bits = 8;
  WeightRange weight_range = WeightRange::kMinMax;  // the grid AdaRound / bias correction round onto
  std::set<std::string> keep8;  // node keys of the layers rounded to the 8-bit grid under weight_bits 4
  bool per_channel = true;
  AdaRoundOptions ada;
  size_t images = 0;  // calibration images used for the layer samples (0: all)
  // Memory bound of one layer's samples (floats, per set; two sets live at a time): positions per image
  // are min(positions, budget / (images * row width)).
  int64_t sample_budget = 32 << 20;
  int positions = 64;  // the most output positions cached per image
  // (stage, done, total): "adaround" counts iterations over all layers, "layers" counts layers.
  std::function<void(const std::string&, size_t, size_t)> progress;
};

struct LayerReport {
  std::string name, op;
  int bits = 8;
  double weight_sqnr_original = 0;  // RTN weights vs float, before CLE
  double weight_sqnr_rtn = 0;       // RTN weights vs float, after CLE (= original without CLE)
  double weight_sqnr_final = 0;     // final (AdaRound) weights vs float
  double output_sqnr_rtn = 0;       // layer output, RTN weights + quantized upstream vs float model
  double output_sqnr_final = 0;     // the same after AdaRound / bias correction
  double bias_shift = 0;            // mean |correction| of bias correction
  std::string bias_method;          // "analytical" | "empirical" | "" (none / MatMul without bias)
  std::string bias_note;            // analytical asked for but not possible: why
  int64_t samples = 0;
  // AdaRound with held-out images: rows held out, the iteration kept, and the output SQNR on the held-out
  // rows of round-to-nearest, of the kept rounding and of the last one (pre bias correction).
  int64_t heldout_samples = 0;
  int adaround_iteration = -1;
  double heldout_sqnr_nearest = 0, heldout_sqnr_chosen = 0, heldout_sqnr_last = 0;
  double seconds_sampling = 0, seconds_optimising = 0;  // wall time of the layer's passes and of AdaRound
};

// Scale and zero point of one quantized tensor as written (ONNX semantics: x = (q - zero_point) * scale),
// per tensor (size 1) or per channel along `axis`.
struct QParams {
  DType dtype = DType::kU8;
  std::vector<float> scale;
  std::vector<int32_t> zero_point;
  int64_t axis = -1;  // -1: per tensor
};

// The grids a static QDQ quantization used, by tensor name: activations (per tensor) and weights (by the
// float initializer's name). Exported as AIMET .encodings and read back to rebuild the same model
// (drivers/encodings.h).
struct QuantEncodings {
  std::map<std::string, QParams> activations, params;
};

struct QuantOptions {
  Mode mode = Mode::kStatic;
  Format format = Format::kQdq;
  std::string calibrator = "minmax";
  CalibKnobs knobs;
  // One weight scale per output channel: the default, the usual choice for CNNs (ORT's quantize_static /
  // quantize_dynamic default to per-tensor; `inr quantize --per-tensor` asks for that).
  bool per_channel = true;
  DType act = DType::kU8;     // activation type: kU8 or kI8
  DType weight = DType::kI8;  // weight type: kI8 or kU8
  bool symmetric_act = false;
  bool reduce_range = false;  // 7-bit weights (ORT's reduce_range: weights only)
  // u8 weights as symmetric s8 + 128: zero point 128 on every channel, values in [1, 255] (--target
  // portable). Only with weight == kU8; without it u8 weights are asymmetric (per-channel zero points).
  bool weight_zp128 = false;
  Target target = Target::kNone;  // set by apply_target, which also sets the fields above
  // 8, or 4: symmetric s4 weights (zero point 0, scale max|w| / 7, AIMET's grid) written as ONNX INT4
  // initializers with a DequantizeLinear (QDQ only; the model's opset is raised to 21). `weight` must be kI8
  // and reduce_range off; activations stay 8-bit.
  int weight_bits = 8;
  // With weight_bits 4: the layers kept at 8 bits ("first", "last" of the quantized Conv/Gemm/MatMul, "depthwise", or node /
  // output names; a name that is no such layer is an error).
  std::vector<std::string> weight8;
  std::vector<std::string> exclude;   // node names (or first-output names) left float
  std::vector<std::string> op_types;  // empty: default_op_types(mode, format)
  // Static only: cross-layer equalization of the float graph first, then the weight optimisations of
  // `ptq` (AdaRound / bias correction) on the selected Conv/Gemm/MatMul nodes, before activation
  // calibration (which then sees the rounded weights, as AIMET's compute_encodings after AdaRound does).
  bool cle = false;
  PtqOptions ptq;
  // Static QDQ: take activation and weight grids from here instead of calibrating (--encodings). A node is
  // quantized when every activation it reads and writes and its weight have an entry; the others stay float
  // with a note. Names that are not tensors of the model are an error. Weight entries: 1 value (per tensor)
  // or one per channel of the weight's channel axis.
  const QuantEncodings* encodings = nullptr;
};

std::vector<std::string> default_op_types(Mode mode, Format format);

// "portable" | "vnni" | "avx2" | "gemmini" (and "none").
Result<Target> parse_target(std::string_view name);
const char* target_name(Target target);

// The type flags the user gave explicitly (nullopt / false: not given), checked against a target.
struct TypeFlags {
  std::optional<DType> act, weight;
  bool reduce_range = false;
  bool symmetric_act = false;
};
// Sets options.target and the types it implies (act, weight, reduce_range, weight_zp128). An explicit flag
// that contradicts the target is an error naming it ("--target avx2 implies --weight s8 --reduce-range; drop
// --weight u8"); --mode fp16 takes no target. Target::kNone applies `given` as it is.
Status apply_target(Target target, const TypeFlags& given, QuantOptions& options);

struct CalibData {
  std::vector<std::string> paths;  // image files
  image::PreprocessSpec spec;
  image::DecodeOptions decode;
  int batch = 8;
  // Distributed calibration: observe only shard `shard_index` (1-based) of `shard_count`. The shards split
  // the list of *batches* (ceil(paths / batch), batch as run: the model's fixed batch when it has one), not
  // the images, so every batch a shard runs is exactly a batch of the one-process run: the same images
  // through the same kernels at the same batch size. With observers that merge exactly (observer.h), the
  // merged shards then give the one-process statistics bit for bit.
  int shard_index = 1;
  int shard_count = 1;
  // Called after each batch with (images done, images total); may be empty.
  std::function<void(size_t, size_t)> progress;
};

struct QuantReport {
  std::string mode;        // "fp16", "dynamic", "static qdq", ...
  std::string calibrator;  // empty unless static
  size_t images_used = 0;
  size_t images_failed = 0;
  std::vector<std::string> skipped_images;  // one line per image that could not be read
  int nodes_quantized = 0;
  std::vector<std::string> skipped;  // "node X (Op): reason", one per node left float
  size_t observed_tensors = 0;
  // Quantized nodes that multiply u8 activations by full-range (8-bit) s8 weights: ONNX Runtime computes
  // them exactly only on VNNI/AMX CPUs (see Target).
  int full_range_u8s8 = 0;
  CleReport cle;                   // when QuantOptions::cle
  std::vector<LayerReport> layers;  // when weights were optimised (AdaRound / bias correction)
  std::vector<std::string> weight8;  // node keys of the layers kept at 8 bits under 4-bit weights
  // Static QDQ: the grids written (what --export-encodings saves).
  QuantEncodings encodings;
};

// Collects statistics for `tensors` (value names of `graph`) by running `graph` with inr's Session.
Result<std::map<std::string, Observer>> calibrate(const Graph& graph, const std::vector<std::string>& tensors,
                                                  const CalibData& data, int bins, bool histogram,
                                                  QuantReport& report);

// Distributed calibration (README "Distributed calibration"). observe_static runs only the calibration of
// quantize_static (on data's shard) and returns the observers with the tensors they are for, in the order
// quantize_static observes them; quantize_static from observers (merged over all shards with
// Observer::merge) builds the model the one-process run builds from the same images, byte for byte.
// observed_tensors lists the tensors a run with `options` needs, to check observers against.
struct CalibrationRun {
  std::vector<std::string> tensors;
  std::map<std::string, Observer> observers;
};
Result<CalibrationRun> observe_static(const Graph& graph, const QuantOptions& options, const CalibData& data,
                                      QuantReport& report);
Result<std::vector<std::string>> observed_tensors(const Graph& graph, const QuantOptions& options);
Result<std::unique_ptr<Graph>> quantize_static(const Graph& graph, const QuantOptions& options,
                                               const std::map<std::string, Observer>& observers, QuantReport& report);

Result<std::unique_ptr<Graph>> quantize_fp16(const Graph& graph, QuantReport& report);
Result<std::unique_ptr<Graph>> quantize_dynamic(const Graph& graph, const QuantOptions& options, QuantReport& report);
Result<std::unique_ptr<Graph>> quantize_static(const Graph& graph, const QuantOptions& options, const CalibData& data,
                                               QuantReport& report);

// Fails with "model is already quantized (has QuantizeLinear ...)" when the graph holds quantized ops.
Status check_not_quantized(const Graph& graph);

}  // namespace inr::quant
