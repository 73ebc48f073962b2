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
#include <string>
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

struct QuantOptions {
  Mode mode = Mode::kStatic;
  Format format = Format::kQdq;
  std::string calibrator = "minmax";
  CalibKnobs knobs;
  bool per_channel = false;
  DType act = DType::kU8;     // activation type: kU8 or kI8
  DType weight = DType::kI8;  // weight type: kI8 or kU8
  bool symmetric_act = false;
  bool reduce_range = false;  // 7-bit weights (ORT's reduce_range: weights only)
  std::vector<std::string> exclude;   // node names (or first-output names) left float
  std::vector<std::string> op_types;  // empty: default_op_types(mode, format)
};

std::vector<std::string> default_op_types(Mode mode, Format format);

struct CalibData {
  std::vector<std::string> paths;  // image files
  image::PreprocessSpec spec;
  image::DecodeOptions decode;
  int batch = 8;
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
};

// Collects statistics for `tensors` (value names of `graph`) by running `graph` with inr's Session.
Result<std::map<std::string, Observer>> calibrate(const Graph& graph, const std::vector<std::string>& tensors,
                                                  const CalibData& data, int bins, bool histogram,
                                                  QuantReport& report);

Result<std::unique_ptr<Graph>> quantize_fp16(const Graph& graph, QuantReport& report);
Result<std::unique_ptr<Graph>> quantize_dynamic(const Graph& graph, const QuantOptions& options, QuantReport& report);
Result<std::unique_ptr<Graph>> quantize_static(const Graph& graph, const QuantOptions& options, const CalibData& data,
                                               QuantReport& report);

// Fails with "model is already quantized (has QuantizeLinear ...)" when the graph holds quantized ops.
Status check_not_quantized(const Graph& graph);

}  // namespace inr::quant
