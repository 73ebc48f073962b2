// "Per image" (from `inr eval --out` journals): the distribution of per-image inference time and of the
// top-1 probability, split by right / wrong — what a summary's averages hide.
#include <fmt/format.h>

#include "core/stats.h"
#include "report/charts.h"
#include "report/sections.h"

namespace inr::report {

namespace {

using json = nlohmann::json;

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
    json row = {{"journal", in.path}, {"model", model}, {"images", ms.size()}, {"failed", failed}};
    if (ms.empty()) {
      t.add_row({escape(in.name), escape(model), "0", std::to_string(failed), kMissing, kMissing, kMissing, kMissing,
                 kMissing});
      data.push_back(row);
      continue;
    }
    const SampleStats st = sample_stats(ms);  // nearest-rank percentiles, as bench reports them
    t.add_row({escape(in.name), escape(model), std::to_string(ms.size()), std::to_string(failed),
               fmt::format("{:.3f}", st.mean), fmt::format("{:.3f}", st.p50), fmt::format("{:.3f}", st.p90),
               fmt::format("{:.3f}", st.p99), fmt::format("{:.3f}", st.max)});
    row.update({{"mean_ms", st.mean}, {"p50_ms", st.p50}, {"p90_ms", st.p90}, {"p99_ms", st.p99}, {"max_ms", st.max}});
    data.push_back(row);
    Charts c{in.name + " (" + model + ")",
             histogram_chart(ms, "inference time per image, ms", {{"p50", st.p50}, {"p99", st.p99}}), json()};
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
