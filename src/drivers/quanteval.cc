// inr::quanteval (include/inr/quanteval.h): quantize_model() then compare() on the same images.
#include "inr/quanteval.h"

#include <unistd.h>

#include <filesystem>

#include "drivers/provenance.h"

namespace inr {

namespace fs = std::filesystem;

Result<nlohmann::json> quanteval(const QuantEvalRequest& request) {
  QuantizeRequest q = request.quantize;
  CompareOptions c = request.compare;
  if (c.dataset.data.empty()) return error("quanteval needs --data (the evaluation images)");
  if (q.calib_data.empty()) {
    q.calib_data = c.dataset.data;
    if (q.note) q.note("note: no --calib-data: calibrating on the evaluation images (the zoo calibrates on training images)");
  }
  std::string tmp;
  if (q.output.empty()) {
    std::error_code ec;
    fs::path dir = fs::temp_directory_path(ec);
    if (ec) dir = ".";
    tmp = (dir / fmt::format("inr-quanteval-{}.onnx", ::getpid())).string();
    q.output = tmp;
  }
  struct Cleanup {
    std::string path;
    ~Cleanup() {
      std::error_code ec;
      if (!path.empty()) fs::remove(path, ec);
    }
  } cleanup{tmp};
  INR_ASSIGN_OR_RETURN(nlohmann::json qs, quantize_model(q));
  c.sides = {q.model, q.output};
  c.latency_runs = 0;
  c.preprocess = q.preprocess;
  INR_ASSIGN_OR_RETURN(nlohmann::json cs, compare(c));
  if (!cs.contains("a") || !cs.contains("top1_mcnemar")) return error("the comparison gave no accuracy");
  nlohmann::json j = provenance_base("inr.quanteval", 1, c.session.threads);
  auto side = [](const nlohmann::json& s) {
    return nlohmann::json{{"top1", s.value("top1", 0.0)}, {"top1_ci", s.value("top1_ci", nlohmann::json::array())},
                          {"top5", s.value("top5", 0.0)}, {"images", s.value("images", int64_t{0})}};
  };
  j["recipe"] = q.recipe.empty() ? "none" : q.recipe;
  j["float"] = side(cs["a"]);
  j["quantized"] = side(cs["b"]);
  const nlohmann::json& m = cs["top1_mcnemar"];
  j["delta"] = m.value("delta", 0.0);
  j["delta_ci"] = m.value("delta_ci", nlohmann::json::array());
  j["mcnemar_p"] = m.value("p_value", 1.0);
  j["top1_agreement"] = cs.value("top1_agreement", 0.0);
  if (!tmp.empty()) qs["output"] = nullptr;  // removed
  j["quantize"] = qs;
  j["compare"] = cs;
  return j;
}

}  // namespace inr
