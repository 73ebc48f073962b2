// AIMET .encodings (v0.6.1) <-> quant::QuantEncodings; see encodings.h for the grid mapping.
#include "drivers/encodings.h"

#include <cmath>
#include <filesystem>

#include <fmt/format.h>

namespace inr {

namespace {

constexpr const char* kVersion = "0.6.1";

int bits_of(DType t) { return t == DType::kI4 || t == DType::kU4 ? 4 : 8; }
bool is_signed(DType t) { return t == DType::kI8 || t == DType::kI4; }

nlohmann::json entries(const quant::QParams& p) {
  nlohmann::json list = nlohmann::json::array();
  const int bw = bits_of(p.dtype);
  const int32_t half = 1 << (bw - 1), levels = (1 << bw) - 1;
  for (size_t c = 0; c < p.scale.size(); ++c) {
    const int32_t zp = p.zero_point[p.zero_point.size() == 1 ? 0 : c];
    const int32_t offset = -(zp + (is_signed(p.dtype) ? half : 0));
    const double scale = p.scale[c];  // the float32 value, exactly (a double holds it; JSON prints it round-trip)
    list.push_back({{"bitwidth", bw},
                    {"dtype", "int"},
                    {"is_symmetric", offset == -half ? "True" : "False"},
                    {"max", static_cast<double>(levels + offset) * scale},
                    {"min", static_cast<double>(offset) * scale},
                    {"offset", offset},
                    {"scale", scale}});
  }
  return list;
}

Result<quant::QParams> read_entries(const std::string& section, const std::string& name, const nlohmann::json& list,
                                    bool param, DType act, DType weight8) {
  const std::string where = fmt::format("{} '{}'", section, name);
  if (!list.is_array() || list.empty()) return error("{}: expected a non-empty list of encodings", where);
  quant::QParams p;
  int bits = -1;
  for (size_t c = 0; c < list.size(); ++c) {
    const nlohmann::json& e = list[c];
    const std::string at = list.size() > 1 ? fmt::format("{} [{}]", where, c) : where;
    if (!e.is_object()) return error("{}: an encoding must be an object", at);
    for (const char* field : {"bitwidth", "dtype", "is_symmetric", "scale", "offset"})
      if (!e.contains(field)) return error("{}: missing field '{}'", at, field);
    if (!e["dtype"].is_string()) return error("{}: 'dtype' must be a string", at);
    if (e["dtype"] == "float") return error("{}: float encodings are not supported (inr writes integer grids)", at);
    if (e["dtype"] != "int") return error("{}: 'dtype' must be \"int\", got {}", at, e["dtype"].dump());
    if (!e["bitwidth"].is_number_integer()) return error("{}: 'bitwidth' must be an integer", at);
    const int bw = e["bitwidth"].get<int>();
    if (param ? bw != 8 && bw != 4 : bw != 8)
      return error("{}: bitwidth {} is not supported ({})", at, bw,
                   param ? "weights: 8 or 4" : "activations: 8");
    if (bits >= 0 && bw != bits) return error("{}: bitwidth {} differs from the first channel's {}", at, bw, bits);
    bits = bw;
    const nlohmann::json& sym = e["is_symmetric"];
    if (!(sym.is_boolean() || (sym.is_string() && (sym == "True" || sym == "False"))))
      return error("{}: 'is_symmetric' must be \"True\", \"False\" or a boolean", at);
    if (!e["scale"].is_number()) return error("{}: 'scale' must be a number", at);
    const double scale = e["scale"].get<double>();
    if (!(std::isfinite(scale) && scale > 0)) return error("{}: scale {} must be finite and > 0", at, scale);
    if (!e["offset"].is_number_integer()) return error("{}: 'offset' must be an integer", at);
    const int64_t offset = e["offset"].get<int64_t>();
    const DType t = !param ? act : bw == 4 ? DType::kI4 : weight8;
    const int64_t half = int64_t{1} << (bw - 1);
    const int64_t zp = -offset - (is_signed(t) ? half : 0);
    const int64_t lo = is_signed(t) ? -half : 0, hi = is_signed(t) ? half - 1 : 2 * half - 1;
    if (zp < lo || zp > hi)
      return error("{}: offset {} is outside the {}-bit grid (zero point {} of {})", at, offset, bw, zp, dtype_name(t));
    p.dtype = t;
    p.scale.push_back(static_cast<float>(scale));
    p.zero_point.push_back(static_cast<int32_t>(zp));
  }
  if (!param && p.scale.size() != 1) return error("{}: activations take one encoding (per tensor), got {}", where, p.scale.size());
  return p;
}

}  // namespace

std::string encodings_path_for(const std::string& onnx_path) {
  return std::filesystem::path(onnx_path).replace_extension(".encodings").string();
}

nlohmann::json encodings_to_aimet(const quant::QuantEncodings& e) {
  nlohmann::json act = nlohmann::json::object(), param = nlohmann::json::object();
  for (const auto& [name, p] : e.activations) act[name] = entries(p);
  for (const auto& [name, p] : e.params) param[name] = entries(p);
  return {{"version", kVersion}, {"activation_encodings", act}, {"param_encodings", param}};
}

Result<quant::QuantEncodings> encodings_from_aimet(const nlohmann::json& j, DType act, DType weight8) {
  if (!j.is_object()) return error("encodings: expected a JSON object");
  if (j.contains("version") && j["version"] != kVersion)
    return error("encodings: version {} is not supported (inr reads the {} layout)", j["version"].dump(), kVersion);
  if (!j.contains("activation_encodings") && !j.contains("param_encodings"))
    return error("encodings: neither activation_encodings nor param_encodings is present");
  quant::QuantEncodings out;
  for (const char* section : {"activation_encodings", "param_encodings"}) {
    if (!j.contains(section)) continue;
    const nlohmann::json& m = j[section];
    if (!m.is_object()) return error("encodings: {} must be an object of tensor name -> list", section);
    const bool param = std::string(section) == "param_encodings";
    for (const auto& [name, list] : m.items()) {
      auto p = read_entries(section, name, list, param, act, weight8);
      if (!p) return p.status().with_context("encodings");
      (param ? out.params : out.activations)[name] = std::move(*p);
    }
  }
  return out;
}

}  // namespace inr
