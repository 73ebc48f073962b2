// The model repository of `inr serve` (include/inr/serve.h has the layout): every DIR/<name>/<version>/
// model.onnx loaded into its own Session and Batcher, warmed up at every batch size it can run.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "image/preprocess.h"
#include "inr/serve.h"
#include "inr/session.h"
#include "serve/batcher.h"
#include "serve/metrics.h"
#include "serve/oip.h"

namespace inr::serving {

struct ModelVersion {
  std::string name;
  int64_t version = 0;
  std::string path;
  std::string metrics_name;  // "name" for the highest version, "name/version" for others
  std::unique_ptr<Session> session;
  ModelSignature signature;
  std::vector<std::string> labels;
  std::string preset;
  image::PreprocessSpec spec;
  image::DecodeOptions decode;
  std::unique_ptr<Batcher> batcher;
};

class Repository {
 public:
  // Loads and warms up everything; an error names the directory or file at fault.
  static Result<std::unique_ptr<Repository>> load(const ServeOptions& options, Metrics& metrics);

  // version 0: the highest. Null when there is no such model or version.
  ModelVersion* find(const std::string& name, int64_t version);
  // Versions of a model, ascending (empty: unknown model).
  std::vector<int64_t> versions(const std::string& name) const;
  std::vector<ModelVersion*> all();
  // Stops every batcher after it ran what is queued.
  void stop();

 private:
  std::map<std::string, std::map<int64_t, std::unique_ptr<ModelVersion>>> models_;
};

}  // namespace inr::serving
