// "Accuracy": top-1 / top-5 with their 95% Wilson intervals for every model of every eval / merge summary
// and every side of every comparison, in one table and one chart.
#include <fmt/format.h>

#include "report/charts.h"
#include "report/sections.h"

namespace inr::report {

namespace {

using json = nlohmann::json;

struct Row {
  std::string model, source;
  json summary;  // {"images", "failed", "top1", "top1_ci", "top5", "top5_ci", ...}
  json extra;    // images_per_s, when known
};

}  // namespace

void add_accuracy_section(Page& page, const std::vector<Input>& inputs) {
  std::vector<Row> rows;
  for (const Input& in : inputs) {
    const json& d = in.doc;
    if (in.kind == InputKind::kEvalSummary || in.kind == InputKind::kMergeSummary) {
      rows.push_back({file_name(d.value("model", json::object()).value("path", "?")), in.name, d, d.value("images_per_s", json())});
    } else if (in.kind == InputKind::kCompare && d.contains("models") && d["models"].is_array()) {
      for (const json& m : d["models"])
        if (m.contains("accuracy"))
          rows.push_back({m.value("name", "?") + ": " + file_name(m.value("path", "?")), in.name, m["accuracy"], json()});
    } else if (in.kind == InputKind::kCompare) {
      for (const char* side : {"a", "b"})
        if (d.contains(side) && d[side].is_object())
          rows.push_back({std::string(side == std::string("a") ? "A: " : "B: ") + file_name(d[side].value("name", "?")),
                          in.name, d[side], json()});
    }
  }
  if (rows.empty()) return;
  page.begin_section("accuracy", "Accuracy");
  page.add_paragraph("Top-1 and top-5 in %, with 95% Wilson intervals in brackets; images that failed to decode are "
                     "left out of the denominators.");
  Table t({{"model"}, {"from"}, {"images", true}, {"failed", true}, {"top-1 % [95% CI]", true},
           {"top-5 % [95% CI]", true}, {"images/s", true}});
  std::vector<IntervalPoint> points;
  json& data = page.data()["accuracy"] = json::array();
  for (const Row& r : rows) {
    const json& s = r.summary;
    t.add_row({escape(r.model), escape(r.source), fixed(s, "images", 0), fixed(s, "failed", 0),
               percent_ci(s, "top1", "top1_ci"), percent_ci(s, "top5", "top5_ci"),
               r.extra.is_number() ? fmt::format("{:.1f}", r.extra.get<double>()) : kMissing});
    json row = {{"model", r.model}, {"from", r.source}};
    for (const char* k : {"images", "failed", "top1", "top1_ci", "top5", "top5_ci"})
      if (s.contains(k)) row[k] = s[k];
    data.push_back(row);
    for (auto [key, ci, series] : {std::tuple{"top1", "top1_ci", "top-1"}, std::tuple{"top5", "top5_ci", "top-5"}}) {
      auto v = number(s, key);
      if (!v || !s.contains(ci) || !s[ci].is_array() || s[ci].size() != 2) continue;
      points.push_back({r.model + " · " + r.source, series, 100 * *v, 100 * s[ci][0].get<double>(),
                        100 * s[ci][1].get<double>()});
    }
  }
  page.add_html(t.html());
  if (!points.empty())
    page.add_chart(interval_chart(points, "accuracy, % (point and 95% Wilson interval)", false),
                   "Accuracy of each model; the bars are 95% intervals.");
  page.end_section();
}

}  // namespace inr::report
