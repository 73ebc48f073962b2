#include "serve/repository.h"

#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/file.h"
#include "data/labels.h"
#include "drivers/preprocess_options.h"

namespace inr::serving {

namespace fs = std::filesystem;

namespace {

// A version folder name: a positive decimal integer (Triton's rule), else 0.
int64_t parse_version(const std::string& s) {
  if (s.empty() || s.size() > 18 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return 0;
  return std::stoll(s);
}

Status load_version(ModelVersion& m, const ServeOptions& options, const fs::path& model_dir, Metrics& metrics) {
  const std::string what = m.path;
  // Per-model settings.
  PreprocessOptions pre = options.preprocess;
  std::string labels_path;
  const fs::path config = model_dir / "inr.json";
  if (fs::exists(config)) {
    INR_ASSIGN_OR_RETURN(std::string text, read_file(config.string()));
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return error("{}: not a JSON object", config.string());
    for (const auto& [key, value] : j.items()) {
      if (key == "preset" && value.is_string()) {
        pre.preset = value.get<std::string>();
      } else if (key == "labels" && value.is_string()) {
        labels_path = (model_dir / value.get<std::string>()).string();
      } else {
        return error("{}: unknown key or wrong type: \"{}\" (keys: preset, labels; strings)", config.string(), key);
      }
    }
  }
  auto spec = resolve_preprocess(pre);
  if (!spec) return spec.status().with_context(config.string());
  m.spec = *spec;
  m.decode = decode_options(pre);
  m.preset = pre.preset;

  INR_ASSIGN_OR_RETURN(m.session, Session::load(m.path, options.session));
  Session& s = *m.session;
  if (s.inputs().size() != 1) return error("{}: inr serve takes models with one input, this one has {}", what, s.inputs().size());
  const IoInfo& in = s.inputs()[0];
  if (in.shape.empty()) return error("{}: input '{}' has no batch dim", what, in.name);
  m.signature.input = in;
  m.signature.outputs = s.outputs();
  const int64_t fixed = in.shape[0] >= 0 ? in.shape[0] : 0;
  m.signature.max_batch = fixed ? static_cast<int>(fixed) : std::max(1, options.max_batch);

  // Images fit when the preset's output is the input's per-row shape and dtype.
  Shape row(in.shape.begin() + 1, in.shape.end());
  if (image::output_shape(m.spec) != row || image::output_dtype(m.spec) != in.dtype) {
    m.signature.images_why = fmt::format("preset '{}' gives {} {}, the model's input is {} {}: send tensors", m.preset,
                                         dtype_name(image::output_dtype(m.spec)), shape_str(image::output_shape(m.spec)),
                                         dtype_name(in.dtype), shape_str(in.shape));
  } else {
    m.signature.images = true;
  }

  // Warm-up: every batch size the batcher can form compiles now, not under the first requests.
  const int lo = fixed ? static_cast<int>(fixed) : 1;
  for (int b = lo; b <= m.signature.max_batch; ++b) {
    Shape shape = in.shape;
    shape[0] = b;
    for (int64_t d : shape)
      if (d < 0) return error("{}: input '{}' is {}; only the batch dim may be dynamic", what, in.name, shape_str(in.shape));
    Tensor zeros = Tensor::zeros(in.dtype, shape);
    auto out = s.run(std::span<const Tensor>(&zeros, 1));
    if (!out) return out.status().with_context(what);
    if (b == lo && !out->empty() && (*out)[0].rank() >= 1 && (*out)[0].dtype() == DType::kF32) {
      const int64_t classes = (*out)[0].dim(-1);
      auto labels = data::labels_for_classes(labels_path, classes);
      if (!labels) return labels.status().with_context(what);
      m.labels = labels->names;
    }
  }
  if (!m.labels.empty()) m.signature.labels = &m.labels;

  BatcherOptions bo;
  bo.max_batch = m.signature.max_batch;
  bo.fixed_batch = static_cast<int>(fixed);
  bo.max_delay = std::chrono::microseconds(static_cast<int64_t>(options.max_delay_ms * 1000));
  bo.max_queue = static_cast<size_t>(std::max(1, options.max_queue));
  bo.timeout = std::chrono::milliseconds(options.request_timeout_ms);
  const std::string metrics_name = m.metrics_name;
  m.batcher = std::make_unique<Batcher>(s, bo, [&metrics, metrics_name](int64_t rows, double seconds) {
    metrics.batch(metrics_name, rows, seconds);
  });
  Batcher* b = m.batcher.get();
  metrics.add_queue_gauge(metrics_name, [b] { return b->depth(); });
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<Repository>> Repository::load(const ServeOptions& options, Metrics& metrics) {
  const fs::path root = options.model_repository;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return error("--model-repository {}: not a directory", root.string());
  auto repo = std::make_unique<Repository>();
  std::vector<fs::path> model_dirs;
  for (const auto& e : fs::directory_iterator(root))
    if (e.is_directory()) model_dirs.push_back(e.path());
  std::sort(model_dirs.begin(), model_dirs.end());
  for (const fs::path& dir : model_dirs) {
    const std::string name = dir.filename().string();
    if (!name.empty() && name[0] == '.') continue;
    std::vector<int64_t> versions;
    for (const auto& e : fs::directory_iterator(dir)) {
      if (!e.is_directory()) continue;
      const int64_t v = parse_version(e.path().filename().string());
      if (v == 0) continue;  // Triton ignores non-numeric folders too
      if (!fs::exists(e.path() / "model.onnx")) return error("{}: no model.onnx", e.path().string());
      versions.push_back(v);
    }
    if (versions.empty()) return error("{}: no version folder with a model.onnx (DIR/<name>/<version>/model.onnx)", dir.string());
    std::sort(versions.begin(), versions.end());
    for (int64_t v : versions) {
      auto m = std::make_unique<ModelVersion>();
      m->name = name;
      m->version = v;
      m->path = (dir / std::to_string(v) / "model.onnx").string();
      m->metrics_name = v == versions.back() ? name : name + "/" + std::to_string(v);
      if (options.log) options.log(fmt::format("loading {} version {} ({})", name, v, m->path));
      INR_TRY(load_version(*m, options, dir, metrics));
      repo->models_[name][v] = std::move(m);
    }
  }
  if (repo->models_.empty()) return error("--model-repository {}: no models (expected DIR/<name>/<version>/model.onnx)", root.string());
  return repo;
}

ModelVersion* Repository::find(const std::string& name, int64_t version) {
  auto it = models_.find(name);
  if (it == models_.end() || it->second.empty()) return nullptr;
  if (version == 0) return it->second.rbegin()->second.get();
  auto v = it->second.find(version);
  return v == it->second.end() ? nullptr : v->second.get();
}

std::vector<int64_t> Repository::versions(const std::string& name) const {
  std::vector<int64_t> out;
  auto it = models_.find(name);
  if (it != models_.end())
    for (const auto& [v, m] : it->second) out.push_back(v);
  return out;
}

std::vector<ModelVersion*> Repository::all() {
  std::vector<ModelVersion*> out;
  for (auto& [name, versions] : models_)
    for (auto& [v, m] : versions) out.push_back(m.get());
  return out;
}

void Repository::stop() {
  for (ModelVersion* m : all()) m->batcher->stop();
}

}  // namespace inr::serving
