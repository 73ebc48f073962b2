// Quantize with a recipe and evaluate the float and the quantized model on the same images, as one library
// call: what `inr quanteval` does (the AIMET model zoo's `*_quanteval.py --model-config ... --dataset-path`).
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "inr/compare.h"
#include "inr/quantize.h"
#include "inr/status.h"

namespace inr {

struct QuantEvalRequest {
  // model, recipe (or explicit PTQ switches), calib_data (empty: the evaluation images), calib_count,
  // preprocess, AdaRound knobs; output "" writes the quantized model to a temporary file removed afterwards.
  QuantizeRequest quantize;
  // dataset (required), batch, session, decode_threads, progress/note; sides are filled in (float, quantized).
  CompareOptions compare;
};

// Schema inr.quanteval v1: provenance, "quantize" (the inr.quantize.summary object), "compare" (the
// inr.compare object of the float and quantized models), and the headline "float" / "quantized" ({top1,
// top1_ci, top5, images}), "delta" (quantized - float top-1, points), "delta_ci", "mcnemar_p".
Result<nlohmann::json> quanteval(const QuantEvalRequest& request);

}  // namespace inr
