// "Per image" (from `inr eval --out` journals): the distribution of per-image inference time and of the
// top-1 probability, split by right / wrong — what a summary's averages hide.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "report/charts.h"
#include "report/sections.h"

namespace inr::report {

namespace {

using json = nlohmann::json;

// Nearest-rank percentile of sorted `v` (p in 0..100): the smallest value with at least p% of the
// values at or below it; the convention of `inr bench`.
double nearest_rank(const std::vector<double>& v, double p) {
  const size_t n = v.size();
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(n)));
  return v[std::clamp<size_t>(rank, 1, n) - 1];
}

}  // namespace

void add_per_image_section(Page& page, const std::vector<Input>& inputs) {
  bool any = false;
  for (const Input& in : inputs) any = any || in.kind == InputKind::kEvalJournal;
  if (!any) return;
  page.begin_section("per-image", "Per image (eval journals)");
  page.add_paragraph("From <code>inr eval --out</code> journals, one line per image. The per-image time is the "
                     "inference time of its batch divided by the batch size (decoding not included); percentiles "
                     "by nearest rank.");
  Table t({{"journal"}, {"model"}, {"images", true}, {"failed", true}, {"mean ms", true}, {"p50 ms", true},
           {"p90 ms", true}, {"p99 ms", true}, {"max ms", true}});
  json& data = page.data()["per_image"] = json::array();
  struct Charts {
    std::string title;
    json latency, confidence;
  };
  std::vector<Charts> charts;
  for (const Input& in : inputs) {
    if (in.kind != InputKind::kEvalJournal) continue;
    const std::string model = file_name(in.doc.value("model", json::object()).value("path", "?"));
    std::vector<double> ms;
    std::vector<std::pair<double, std::string>> conf;
    int64_t failed = 0;
    for (const data::Prediction& p : in.predictions) {
      if (p.failed()) {
        ++failed;
        continue;
      }
      ms.push_back(p.ms);
      if (p.label >= 0 && !p.scores.empty() && !p.top.empty())
        conf.emplace_back(p.scores[0], p.top[0] == p.label ? "top-1 right" : "top-1 wrong");
    }
    std::sort(ms.begin(), ms.end());
    json row = {{"journal", in.path}, {"model", model}, {"images", ms.size()}, {"failed", failed}};
    if (ms.empty()) {
      t.add_row({escape(in.name), escape(model), "0", std::to_string(failed), kMissing, kMissing, kMissing, kMissing,
                 kMissing});
      data.push_back(row);
      continue;
    }
    double sum = 0;
    for (double x : ms) sum += x;
    const double mean = sum / static_cast<double>(ms.size());
    const double p50 = nearest_rank(ms, 50), p90 = nearest_rank(ms, 90), p99 = nearest_rank(ms, 99);
    t.add_row({escape(in.name), escape(model), std::to_string(ms.size()), std::to_string(failed),
               fmt::format("{:.3f}", mean), fmt::format("{:.3f}", p50), fmt::format("{:.3f}", p90),
               fmt::format("{:.3f}", p99), fmt::format("{:.3f}", ms.back())});
    row.update({{"mean_ms", mean}, {"p50_ms", p50}, {"p90_ms", p90}, {"p99_ms", p99}, {"max_ms", ms.back()}});
    data.push_back(row);
    Charts c{in.name + " (" + model + ")",
             histogram_chart(ms, "inference time per image, ms", {{"p50", p50}, {"p99", p99}}), json()};
    if (!conf.empty()) c.confidence = outcome_histogram_chart(conf, "top-1 probability");
    charts.push_back(std::move(c));
  }
  page.add_html(t.html());
  for (const Charts& c : charts) {
    page.add_heading(c.title);
    page.add_chart(c.latency, "Per-image inference time; dashed: p50 and p99.");
    if (!c.confidence.is_null())
      page.add_chart(c.confidence, "Top-1 probability (softmax) of every image, stacked by whether top-1 was right.");
  }
  page.end_section();
}

}  // namespace inr::report
