#include "serve/oip.h"

#include <algorithm>
#include <array>
#include <cstring>

#include <fmt/format.h>

#include "data/labels.h"

namespace inr::serving {

namespace {

using nlohmann::json;

struct DTypeName {
  DType dtype;
  std::string_view name;
};
constexpr std::array<DTypeName, 12> kDTypes = {{{DType::kBool, "BOOL"},
                                                {DType::kU8, "UINT8"},
                                                {DType::kU16, "UINT16"},
                                                {DType::kI8, "INT8"},
                                                {DType::kI16, "INT16"},
                                                {DType::kI32, "INT32"},
                                                {DType::kI64, "INT64"},
                                                {DType::kF16, "FP16"},
                                                {DType::kF32, "FP32"},
                                                {DType::kF64, "FP64"},
                                                {DType::kBF16, "BF16"},
                                                {DType::kUndefined, "BYTES"}}};

// Flattens nested JSON arrays (row-major) into `out`.
void flatten(const json& j, std::vector<const json*>& out) {
  if (j.is_array()) {
    for (const json& e : j) flatten(e, out);
  } else {
    out.push_back(&j);
  }
}

Result<Shape> parse_shape(const json& j, const std::string& what) {
  if (!j.is_array()) return error("{}: \"shape\" must be an array of dims", what);
  Shape s;
  for (const json& d : j) {
    if (!d.is_number_integer() || d.get<int64_t>() < 0)
      return error("{}: \"shape\" must hold non-negative integers, got {}", what, d.dump());
    s.push_back(d.get<int64_t>());
  }
  return s;
}

uint32_t read_u32le(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);  // little-endian host (x86-64)
  return v;
}

// Elements of a BYTES tensor in binary form: 4-byte little-endian length, then the bytes.
Result<std::vector<std::string_view>> split_bytes(std::string_view raw, int64_t count, const std::string& what) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  for (int64_t i = 0; i < count; ++i) {
    if (raw.size() - pos < 4) return error("{}: binary BYTES data ends inside the length of element {}", what, i);
    const uint32_t n = read_u32le(raw.data() + pos);
    pos += 4;
    if (raw.size() - pos < n)
      return error("{}: binary BYTES element {} says {} bytes but only {} remain", what, i, n, raw.size() - pos);
    out.push_back(raw.substr(pos, n));
    pos += n;
  }
  if (pos != raw.size()) return error("{}: {} bytes after the last of {} BYTES elements", what, raw.size() - pos, count);
  return out;
}

template <typename T>
Status fill_numbers(const std::vector<const json*>& values, Tensor& t, const std::string& what) {
  T* dst = t.data<T>();
  for (size_t i = 0; i < values.size(); ++i) {
    const json& v = *values[i];
    if constexpr (std::is_same_v<T, bool>) {
      if (!v.is_boolean()) return error("{}: element {} is {}, not a boolean", what, i, v.dump());
      dst[i] = v.get<bool>();
    } else if constexpr (std::is_floating_point_v<T>) {
      if (!v.is_number()) return error("{}: element {} is {}, not a number", what, i, v.dump());
      dst[i] = v.get<T>();
    } else {
      if (!v.is_number_integer()) return error("{}: element {} is {}, not an integer", what, i, v.dump());
      dst[i] = static_cast<T>(v.get<int64_t>());
    }
  }
  return Status::ok();
}

std::string format_value(float v) { return fmt::format("{:.6f}", v); }

}  // namespace

std::string_view oip_datatype(DType t) {
  for (const auto& d : kDTypes)
    if (d.dtype == t && t != DType::kUndefined) return d.name;
  return "";
}

DType dtype_from_oip(std::string_view name) {
  for (const auto& d : kDTypes)
    if (d.name == name) return d.dtype;
  return DType::kUndefined;
}

Result<std::string> base64_decode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (text.size() % 4 != 0) return error("base64 text of {} characters (not a multiple of 4)", text.size());
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text[i + static_cast<size_t>(k)];
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        v[k] = 0;
        ++pad;
        continue;
      }
      if (pad) return error("base64: data after '=' padding");
      v[k] = value(c);
      if (v[k] < 0) return error("base64: invalid character at offset {}", i + static_cast<size_t>(k));
    }
    const uint32_t n = (static_cast<uint32_t>(v[0]) << 18) | (static_cast<uint32_t>(v[1]) << 12) |
                       (static_cast<uint32_t>(v[2]) << 6) | static_cast<uint32_t>(v[3]);
    out += static_cast<char>((n >> 16) & 0xff);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(n & 0xff);
  }
  return out;
}

Result<InferRequest> parse_infer_request(std::string_view body, std::optional<size_t> json_length) {
  if (json_length && *json_length > body.size())
    return error("Inference-Header-Content-Length is {} but the body has {} bytes", *json_length, body.size());
  const std::string_view header = json_length ? body.substr(0, *json_length) : body;
  std::string_view binary = json_length ? body.substr(*json_length) : std::string_view();
  json j = json::parse(header, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return error("the request body is not valid JSON");
  if (!j.is_object()) return error("the request must be a JSON object");
  InferRequest r;
  if (j.contains("id")) {
    if (!j["id"].is_string()) return error("\"id\" must be a string");
    r.id = j["id"].get<std::string>();
    r.has_id = true;
  }
  if (j.contains("parameters")) {
    const json& p = j["parameters"];
    if (!p.is_object()) return error("\"parameters\" must be an object");
    if (p.contains("binary_data_output")) {
      if (!p["binary_data_output"].is_boolean()) return error("\"binary_data_output\" must be a boolean");
      r.binary_output = p["binary_data_output"].get<bool>();
    }
  }
  if (!j.contains("inputs") || !j["inputs"].is_array() || j["inputs"].empty())
    return error("the request needs a non-empty \"inputs\" array");
  size_t pos = 0;
  for (const json& in : j["inputs"]) {
    if (!in.is_object()) return error("each input must be an object");
    InferInput x;
    if (!in.contains("name") || !in["name"].is_string()) return error("an input has no \"name\" string");
    x.name = in["name"].get<std::string>();
    const std::string what = fmt::format("input '{}'", x.name);
    if (!in.contains("datatype") || !in["datatype"].is_string()) return error("{}: no \"datatype\" string", what);
    x.datatype = in["datatype"].get<std::string>();
    if (!in.contains("shape")) return error("{}: no \"shape\"", what);
    INR_ASSIGN_OR_RETURN(x.shape, parse_shape(in["shape"], what));
    std::optional<int64_t> binary_size;
    if (in.contains("parameters")) {
      const json& p = in["parameters"];
      if (!p.is_object()) return error("{}: \"parameters\" must be an object", what);
      if (p.contains("binary_data_size")) {
        if (!p["binary_data_size"].is_number_integer() || p["binary_data_size"].get<int64_t>() < 0)
          return error("{}: \"binary_data_size\" must be a non-negative integer", what);
        binary_size = p["binary_data_size"].get<int64_t>();
      }
    }
    if (binary_size) {
      if (!json_length) return error("{}: \"binary_data_size\" without an Inference-Header-Content-Length header", what);
      if (in.contains("data")) return error("{}: both \"data\" and \"binary_data_size\"", what);
      if (static_cast<uint64_t>(*binary_size) > binary.size() - pos)
        return error("{}: binary_data_size is {} but only {} bytes of binary data remain (truncated body?)", what,
                     *binary_size, binary.size() - pos);
      x.binary = binary.substr(pos, static_cast<size_t>(*binary_size));
      x.is_binary = true;
      pos += static_cast<size_t>(*binary_size);
    } else {
      if (!in.contains("data")) return error("{}: no \"data\" (and no \"binary_data_size\")", what);
      x.data = in["data"];
    }
    r.inputs.push_back(std::move(x));
  }
  if (pos != binary.size())
    return error("{} bytes of binary data after the inputs' binary_data_size total of {}", binary.size() - pos, pos);
  if (j.contains("outputs")) {
    if (!j["outputs"].is_array()) return error("\"outputs\" must be an array");
    for (const json& out : j["outputs"]) {
      if (!out.is_object() || !out.contains("name") || !out["name"].is_string())
        return error("each requested output needs a \"name\" string");
      RequestedOutput o;
      o.name = out["name"].get<std::string>();
      o.binary = r.binary_output;
      if (out.contains("parameters")) {
        const json& p = out["parameters"];
        if (!p.is_object()) return error("output '{}': \"parameters\" must be an object", o.name);
        if (p.contains("classification")) {
          if (!p["classification"].is_number_integer() || p["classification"].get<int64_t>() < 1)
            return error("output '{}': \"classification\" must be an integer >= 1", o.name);
          o.classification = p["classification"].get<int64_t>();
        }
        if (p.contains("binary_data")) {
          if (!p["binary_data"].is_boolean()) return error("output '{}': \"binary_data\" must be a boolean", o.name);
          o.binary = p["binary_data"].get<bool>();
        }
      }
      r.outputs.push_back(std::move(o));
    }
  }
  return r;
}

Result<Tensor> input_tensor(const InferRequest& request, const ModelSignature& model, image::Preprocessor& pre) {
  const IoInfo& want = model.input;
  if (request.inputs.size() != 1)
    return error("the model takes 1 input ('{}'), the request has {}", want.name, request.inputs.size());
  const InferInput& in = request.inputs[0];
  const std::string what = fmt::format("input '{}'", in.name);
  if (in.name != want.name) return error("unknown input '{}'; the model's input is '{}'", in.name, want.name);
  const std::string_view model_type = oip_datatype(want.dtype);
  if (in.shape.empty()) return error("{}: shape [] has no batch dim", what);
  const int64_t n = in.shape[0];
  if (n < 1 || n > model.max_batch)
    return error("{}: batch of {} rows; this server takes 1 to {} per request", what, n, model.max_batch);

  Shape row = want.shape;  // the model's shape with the batch dim set to n
  row[0] = n;
  if (in.datatype == "BYTES") {
    if (!(in.shape.size() == 1 || (in.shape.size() == 2 && in.shape[1] == 1)))
      return error("{}: BYTES images need shape [n] or [n, 1], got {}", what, shape_str(in.shape));
    std::vector<std::string> decoded;
    std::vector<std::string_view> elems;
    if (in.is_binary) {
      INR_ASSIGN_OR_RETURN(elems, split_bytes(in.binary, n, what));
    } else {
      std::vector<const json*> values;
      flatten(in.data, values);
      if (static_cast<int64_t>(values.size()) != n)
        return error("{}: shape {} needs {} elements, \"data\" has {}", what, shape_str(in.shape), n, values.size());
      for (size_t i = 0; i < values.size(); ++i) {
        if (!values[i]->is_string()) return error("{}: BYTES element {} must be a base64 string", what, i);
        auto bytes = base64_decode(values[i]->get_ref<const std::string&>());
        if (!bytes) return bytes.status().with_context(fmt::format("{}: element {}", what, i));
        decoded.push_back(std::move(*bytes));
      }
      for (const std::string& d : decoded) elems.push_back(d);
    }
    if (!model.images) return error("{}: {}", what, model.images_why);
    Tensor t = Tensor::empty(want.dtype, row);
    const size_t per = t.bytes() / static_cast<size_t>(n);
    for (int64_t i = 0; i < n; ++i) {
      std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(elems[static_cast<size_t>(i)].data()),
                                     elems[static_cast<size_t>(i)].size());
      Status st = pre.run(bytes, fmt::format("image {}", i), static_cast<uint8_t*>(t.raw()) + per * static_cast<size_t>(i), per);
      if (!st) return st.with_context(what);
    }
    return t;
  }
  if (dtype_from_oip(in.datatype) == DType::kUndefined)
    return error("{}: unknown datatype '{}'", what, in.datatype);
  if (in.datatype != model_type)
    return error("{}: datatype {}; the model takes {} (or BYTES images)", what, in.datatype, model_type);
  bool shape_ok = in.shape.size() == want.shape.size();
  for (size_t i = 1; shape_ok && i < in.shape.size(); ++i) shape_ok = want.shape[i] < 0 || want.shape[i] == in.shape[i];
  if (!shape_ok) return error("{}: shape {} does not fit the model's {}", what, shape_str(in.shape), shape_str(want.shape));
  for (size_t i = 1; i < want.shape.size(); ++i)
    if (want.shape[i] < 0) return error("{}: the model's input shape {} is not fixed", what, shape_str(want.shape));
  Tensor t = Tensor::empty(want.dtype, in.shape);
  if (in.is_binary) {
    if (in.binary.size() != t.bytes())
      return error("{}: shape {} of {} needs {} bytes, binary_data_size is {}", what, shape_str(in.shape), in.datatype,
                   t.bytes(), in.binary.size());
    std::memcpy(t.raw(), in.binary.data(), t.bytes());
    return t;
  }
  std::vector<const json*> values;
  values.reserve(static_cast<size_t>(t.numel()));
  flatten(in.data, values);
  if (static_cast<int64_t>(values.size()) != t.numel())
    return error("{}: shape {} needs {} elements, \"data\" has {}", what, shape_str(in.shape), t.numel(), values.size());
  Status st;
  switch (want.dtype) {
    case DType::kF32: st = fill_numbers<float>(values, t, what); break;
    case DType::kF64: st = fill_numbers<double>(values, t, what); break;
    case DType::kU8: st = fill_numbers<uint8_t>(values, t, what); break;
    case DType::kI8: st = fill_numbers<int8_t>(values, t, what); break;
    case DType::kI32: st = fill_numbers<int32_t>(values, t, what); break;
    case DType::kI64: st = fill_numbers<int64_t>(values, t, what); break;
    case DType::kBool: st = fill_numbers<bool>(values, t, what); break;
    default: return error("{}: {} data cannot be sent as JSON; use the binary extension", what, in.datatype);
  }
  INR_TRY(st);
  return t;
}

Status check_outputs(const InferRequest& request, const ModelSignature& model) {
  for (const RequestedOutput& o : request.outputs) {
    auto it = std::find_if(model.outputs.begin(), model.outputs.end(), [&](const IoInfo& i) { return i.name == o.name; });
    if (it == model.outputs.end()) {
      std::string names;
      for (const IoInfo& i : model.outputs) names += (names.empty() ? "'" : ", '") + i.name + "'";
      return error("unknown output '{}'; the model's outputs are {}", o.name, names);
    }
    if (o.classification > 0 && it->dtype != DType::kF32)
      return error("output '{}': classification needs an FP32 output, it is {}", o.name, oip_datatype(it->dtype));
  }
  return Status::ok();
}

EncodedResponse encode_infer_response(const InferRequest& request, const ModelSignature& model,
                                      const std::string& model_name, const std::string& model_version,
                                      std::span<const Tensor> outputs) {
  std::vector<RequestedOutput> wanted = request.outputs;
  if (wanted.empty())
    for (const IoInfo& o : model.outputs) wanted.push_back(RequestedOutput{o.name, 0, request.binary_output});
  json j;
  j["model_name"] = model_name;
  if (!model_version.empty()) j["model_version"] = model_version;
  if (request.has_id) j["id"] = request.id;
  j["outputs"] = json::array();
  std::string binary;
  for (const RequestedOutput& o : wanted) {
    const size_t index = static_cast<size_t>(
        std::find_if(model.outputs.begin(), model.outputs.end(), [&](const IoInfo& i) { return i.name == o.name; }) -
        model.outputs.begin());
    const Tensor& t = outputs[index];
    json out = {{"name", o.name}};
    if (o.classification > 0) {
      // [n, K] strings over the last dim of each row.
      const int64_t rows = t.dim(0);
      const int64_t per_row = rows ? t.numel() / rows : 0;
      const int64_t k = std::min<int64_t>(o.classification, per_row);
      std::vector<std::string> elems;
      for (int64_t r = 0; r < rows; ++r) {
        std::span<const float> scores(t.data<float>() + r * per_row, static_cast<size_t>(per_row));
        for (int idx : data::top_k(scores, static_cast<int>(k))) {
          std::string e = fmt::format("{}:{}", format_value(scores[static_cast<size_t>(idx)]), idx);
          if (model.labels && static_cast<size_t>(idx) < model.labels->size())
            e += ":" + (*model.labels)[static_cast<size_t>(idx)];
          elems.push_back(std::move(e));
        }
      }
      out["datatype"] = "BYTES";
      out["shape"] = {rows, k};
      if (o.binary) {
        std::string raw;
        for (const std::string& e : elems) {
          const uint32_t n = static_cast<uint32_t>(e.size());
          raw.append(reinterpret_cast<const char*>(&n), 4);
          raw += e;
        }
        out["parameters"] = {{"binary_data_size", raw.size()}};
        binary += raw;
      } else {
        out["data"] = elems;
      }
    } else {
      out["datatype"] = std::string(oip_datatype(t.dtype()));
      out["shape"] = t.shape();
      if (o.binary) {
        out["parameters"] = {{"binary_data_size", t.bytes()}};
        binary.append(static_cast<const char*>(t.raw()), t.bytes());
      } else {
        switch (t.dtype()) {
          case DType::kF32: out["data"] = std::vector<float>(t.span<float>().begin(), t.span<float>().end()); break;
          case DType::kF64: out["data"] = std::vector<double>(t.span<double>().begin(), t.span<double>().end()); break;
          case DType::kI64: out["data"] = std::vector<int64_t>(t.span<int64_t>().begin(), t.span<int64_t>().end()); break;
          case DType::kI32: out["data"] = std::vector<int32_t>(t.span<int32_t>().begin(), t.span<int32_t>().end()); break;
          case DType::kU8: out["data"] = std::vector<int>(t.span<uint8_t>().begin(), t.span<uint8_t>().end()); break;
          case DType::kI8: out["data"] = std::vector<int>(t.span<int8_t>().begin(), t.span<int8_t>().end()); break;
          case DType::kBool: {
            std::vector<bool> v;
            for (uint8_t b : std::span<const uint8_t>(static_cast<const uint8_t*>(t.raw()), t.bytes())) v.push_back(b != 0);
            out["data"] = v;
            break;
          }
          default:  // FP16, BF16, ...: JSON numbers cannot carry them exactly; binary only
            out["parameters"] = {{"binary_data_size", t.bytes()}};
            binary.append(static_cast<const char*>(t.raw()), t.bytes());
        }
      }
    }
    j["outputs"].push_back(std::move(out));
  }
  EncodedResponse r;
  r.body = j.dump();
  if (!binary.empty()) {
    r.json_length = r.body.size();
    r.body += binary;
  }
  return r;
}

}  // namespace inr::serving
