#include "drivers/provenance.h"

#include <omp.h>

#include <cstdlib>

#include <fmt/format.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <map>
#include <mutex>

#include "core/cpu_tier.h"
#include "core/file.h"
#include "core/sha256.h"

namespace inr {

std::string cpu_tier_summary() {
  CpuTier t = cpu_tier(), d = detected_cpu_tier();
  if (t == d) return std::string(cpu_tier_name(t));
  const char* var = std::getenv("INR_MAX_ISA") ? "INR_MAX_ISA" : "ONEDNN_MAX_CPU_ISA";
  return fmt::format("{} (capped by {}; the CPU has {})", cpu_tier_name(t), var, cpu_tier_name(d));
}

std::string onednn_version() {
  const dnnl_version_t* v = dnnl_version();
  return fmt::format("{}.{}.{}", v->major, v->minor, v->patch);
}

nlohmann::json schema_json(std::string_view name, int version) {
  return {{"name", std::string(name)}, {"version", version}};
}

int effective_threads(int requested) { return requested > 0 ? requested : omp_get_max_threads(); }

Result<nlohmann::json> model_json(const std::string& path) {
  static std::mutex mu;
  static std::map<std::string, std::string> cache;
  // ReadOnlyFile, not std::filesystem::file_size: a FIFO or device model gets the same "not a regular file"
  // line as `inr info` gives, not file_size's "Operation not supported" (issue #16).
  int64_t bytes = 0;
  {
    INR_ASSIGN_OR_RETURN(ReadOnlyFile file, ReadOnlyFile::open(path));
    bytes = file.size();
  }
  std::string digest;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(path);
    if (it != cache.end()) digest = it->second;
  }
  if (digest.empty()) {
    INR_ASSIGN_OR_RETURN(digest, sha256_file(path));
    std::lock_guard<std::mutex> lock(mu);
    cache[path] = digest;
  }
  return nlohmann::json{{"path", path}, {"bytes", bytes}, {"sha256", digest}};
}

nlohmann::json preprocess_json(std::string_view preset, const image::PreprocessSpec& s) {
  nlohmann::json j;
  j["preset"] = std::string(image::canonical_preset_name(preset));
  switch (s.resize_mode) {
    case image::ResizeMode::kNone: j["resize"] = "none"; break;
    case image::ResizeMode::kShorterSide: j["resize"] = "shorter " + std::to_string(s.resize_shorter); break;
    case image::ResizeMode::kExact:
      j["resize"] = std::to_string(s.resize_width) + "x" + std::to_string(s.resize_height);
      break;
  }
  j["interp"] = std::string(image::interp_name(s.interp));
  j["crop"] = {s.crop_width, s.crop_height};
  j["value_range"] = s.value_range;
  j["mean"] = s.mean;
  j["std"] = s.std;
  j["channels"] = s.bgr ? "bgr" : "rgb";
  j["layout"] = s.layout == image::Layout::kNCHW ? "nchw" : "nhwc";
  j["output"] = s.output == image::OutputType::kF32 ? "f32" : "u8";
  return j;
}

nlohmann::json provenance_base(std::string_view schema, int version, int requested_threads) {
  return {{"schema", schema_json(schema, version)},
          {"inr_version", INR_VERSION},
          {"cpu_tier", std::string(cpu_tier_name(cpu_tier()))},
          {"threads", effective_threads(requested_threads)}};
}

namespace {

std::string show(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

}  // namespace

Status check_same_run(const nlohmann::json& a, const std::string& what_a, const nlohmann::json& b,
                      const std::string& what_b, bool compare_dataset) {
  auto get = [](const nlohmann::json& j, const char* k1, const char* k2) -> nlohmann::json {
    if (!j.is_object() || !j.contains(k1) || !j[k1].is_object() || !j[k1].contains(k2)) return nullptr;
    return j[k1][k2];
  };
  struct Field {
    const char* obj;
    const char* key;
    const char* label;
  };
  static const Field kModel[] = {{"model", "sha256", "model sha256"}};
  for (const Field& f : kModel) {
    nlohmann::json va = get(a, f.obj, f.key), vb = get(b, f.obj, f.key);
    if (va != vb) {
      std::string pa = get(a, "model", "path").is_string() ? get(a, "model", "path").get<std::string>() : "?";
      std::string pb = get(b, "model", "path").is_string() ? get(b, "model", "path").get<std::string>() : "?";
      return error("{} was made by model {} (sha256 {}), {} by {} (sha256 {})", what_a, pa,
                   show(va).substr(0, 12), what_b, pb, show(vb).substr(0, 12));
    }
  }
  const nlohmann::json pa = a.value("preprocess", nlohmann::json()), pb = b.value("preprocess", nlohmann::json());
  if (pa != pb) {
    for (const auto& [k, v] : pa.items())
      if (!pb.contains(k) || pb[k] != v)
        return error("{} was preprocessed with {} {}, {} with {}", what_a, k, show(v), what_b,
                     pb.contains(k) ? show(pb[k]) : "(none)");
    return error("{} and {} were preprocessed differently", what_a, what_b);
  }
  if (compare_dataset && a.contains("dataset") && b.contains("dataset")) {
    for (const char* k : {"images", "limit", "sample", "seed", "layout", "fingerprint"}) {
      nlohmann::json va = get(a, "dataset", k), vb = get(b, "dataset", k);
      if (va != vb)
        return error("{} covers dataset {} {}, {} has {}", what_a, k, show(va), what_b, show(vb));
    }
  }
  return Status::ok();
}

Status check_schema(const nlohmann::json& j, std::string_view name, int version, const std::string& what) {
  if (!j.is_object() || !j.contains("schema") || !j["schema"].is_object())
    return error("{}: no \"schema\" (not written by this version of inr, or not an inr {} file)", what, name);
  const nlohmann::json& s = j["schema"];
  if (s.value("name", "") != name)
    return error("{}: schema is '{}', expected '{}'", what, s.value("name", "?"), name);
  if (!s.contains("version") || !s["version"].is_number_integer() || s["version"].get<int>() > version ||
      s["version"].get<int>() < 1)
    return error("{}: {} schema version {} is not supported (this inr reads up to {})", what, name,
                 s.contains("version") ? s["version"].dump() : "?", version);
  return Status::ok();
}

}  // namespace inr
