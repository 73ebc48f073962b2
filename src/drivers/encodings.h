// AIMET's quantization encodings file (.encodings, JSON, layout version 0.6.1) <-> the grids of a static QDQ
// model (quant::QuantEncodings). Spec: quic/aimet Docs/api_docs/quantization_encoding_specification.rst;
// grid semantics aimet_common/quantsim.py (research notes: /work/shared/research/ptq-advanced.md, section 5).
//
// AIMET describes every grid as unsigned: q = clamp(round(x / scale) - offset, 0, 2^bitwidth - 1) and
// x = (q + offset) * scale, offset <= 0. ONNX's x = (q - zero_point) * scale on a signed or unsigned type is the
// same grid with
//   unsigned dtype (u8, u4): zero_point = -offset
//   signed dtype (s8, s4):   zero_point = -offset - 2^(bitwidth - 1)
// so s8 / s4 symmetric weights (zero point 0) are offset -128 / -8, and AIMET's symmetric grid
// (delta = max / floor((2^bw - 1) / 2)) is the s8 / s4 grid with zero point 0. min and max are written on
// the grid (offset * scale and (2^bw - 1 + offset) * scale); is_symmetric is the string "True" / "False"
// (offset == -2^(bw - 1)), as AIMET writes them.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "inr/status.h"
#include "quant/quantize.h"

namespace inr {

// The file written beside the ONNX model: "dir/model.onnx" -> "dir/model.encodings" (AIMET's QuantizationSimModel
// export writes <prefix>.onnx and <prefix>.encodings).
std::string encodings_path_for(const std::string& onnx_path);

// {"version": "0.6.1", "activation_encodings": {...}, "param_encodings": {...}}: one list per tensor, one
// entry per channel for per-channel weights.
nlohmann::json encodings_to_aimet(const quant::QuantEncodings& e);

// Reads a v0.6.1 file's activation_encodings and param_encodings (either may be absent, not both). ONNX types:
// activations `act` (u8 or s8; bitwidth must be 8); weights `weight8` (s8 or u8) at bitwidth 8 and s4 at
// bitwidth 4. Errors name the tensor and the field: missing or mistyped fields, bitwidths inr cannot write,
// float encodings, scales that are not finite and > 0, offsets outside the type, per-channel lists with
// mixed bitwidths. Whether the names are tensors of the model is checked by the quantizer.
Result<quant::QuantEncodings> encodings_from_aimet(const nlohmann::json& j, DType act, DType weight8);

}  // namespace inr
