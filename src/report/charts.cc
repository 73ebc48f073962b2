// Vega-Lite specs (v6). Sizes are fixed (not "container") so the page lays out the same in every browser
// and the headless-browser test sees the same boxes on every run. Encodings sit in each layer rather than
// at the top, so a layer with other data (rules, labels) inherits no field it lacks.
#include "report/charts.h"

namespace inr::report {

namespace {

using json = nlohmann::json;

constexpr int kWidth = 560;
constexpr int kRowStep = 16;       // px per bar / per interval series
constexpr int kHistHeight = 180;
constexpr int kHistBins = 40;
constexpr int kLabelLimit = 300;   // px of a row label before it is cut with an ellipsis
const char* kMarkColor = "#e45756";

json nominal(const char* field, json title = nullptr) {
  return {{"field", field}, {"type", "nominal"}, {"sort", nullptr}, {"title", std::move(title)}};
}

}  // namespace

json interval_chart(const std::vector<IntervalPoint>& points, const std::string& x_title, bool zero_rule) {
  json values = json::array();
  for (const IntervalPoint& p : points)
    values.push_back({{"row", p.row}, {"series", p.series}, {"value", p.value}, {"lo", p.lo}, {"hi", p.hi}});
  json y = nominal("row");
  y["axis"] = {{"labelLimit", kLabelLimit}};
  json enc = {{"y", y}, {"yOffset", nominal("series")}, {"color", nominal("series")}};
  enc["color"]["legend"] = {{"orient", "top"}};
  json rule_enc = enc, point_enc = enc;
  rule_enc["x"] = {{"field", "lo"},
                   {"type", "quantitative"},
                   {"title", x_title},
                   {"scale", {{"zero", false}}},
                   {"axis", {{"labelOverlap", true}}}};
  rule_enc["x2"] = {{"field", "hi"}};
  point_enc["x"] = {{"field", "value"}, {"type", "quantitative"}};
  point_enc["tooltip"] = json::array({{{"field", "row"}, {"title", "row"}},
                                      {{"field", "series"}, {"title", "series"}},
                                      {{"field", "value"}, {"format", ".2f"}},
                                      {{"field", "lo"}, {"format", ".2f"}},
                                      {{"field", "hi"}, {"format", ".2f"}}});
  json layers = json::array();
  if (zero_rule)
    layers.push_back({{"data", {{"values", json::array({{{"x", 0}}})}}},
                      {"mark", {{"type", "rule"}, {"strokeDash", {4, 3}}, {"color", "#888"}}},
                      {"encoding", {{"x", {{"field", "x"}, {"type", "quantitative"}}}}}});
  layers.push_back({{"data", {{"values", values}}}, {"mark", {{"type", "rule"}, {"strokeWidth", 2}}}, {"encoding", rule_enc}});
  layers.push_back({{"data", {{"values", values}}},
                    {"mark", {{"type", "point"}, {"filled", true}, {"size", 60}, {"opacity", 1}}},
                    {"encoding", point_enc}});
  return {{"width", kWidth}, {"height", {{"step", kRowStep}}}, {"layer", layers}};
}

json histogram_chart(const std::vector<double>& values, const std::string& x_title,
                     const std::vector<std::pair<std::string, double>>& marks) {
  json v = json::array();
  for (double x : values) v.push_back({{"x", x}});
  json m = json::array();
  for (const auto& [name, x] : marks) m.push_back({{"name", name}, {"x", x}});
  json layers = json::array();
  layers.push_back({{"data", {{"values", v}}},
                    {"mark", {{"type", "bar"}, {"color", "#4c78a8"}}},
                    {"encoding",
                     {{"x", {{"bin", {{"maxbins", kHistBins}}}, {"field", "x"}, {"type", "quantitative"}, {"title", x_title}}},
                      {"y", {{"aggregate", "count"}, {"type", "quantitative"}, {"title", "images"}}}}}});
  if (!m.empty()) {
    json x = {{"field", "x"}, {"type", "quantitative"}};
    layers.push_back({{"data", {{"values", m}}},
                      {"mark", {{"type", "rule"}, {"color", kMarkColor}, {"strokeDash", {4, 3}}}},
                      {"encoding", {{"x", x}, {"tooltip", json::array({{{"field", "name"}}, {{"field", "x"}, {"format", ".3f"}}})}}}});
    layers.push_back({{"data", {{"values", m}}},
                      {"mark", {{"type", "text"}, {"color", kMarkColor}, {"align", "left"}, {"dx", 3}, {"y", 8}}},
                      {"encoding", {{"x", x}, {"text", {{"field", "name"}}}}}});
  }
  return {{"width", kWidth}, {"height", kHistHeight}, {"layer", layers}};
}

json outcome_histogram_chart(const std::vector<std::pair<double, std::string>>& values, const std::string& x_title) {
  json v = json::array();
  for (const auto& [p, outcome] : values) v.push_back({{"p", p}, {"outcome", outcome}});
  json color = nominal("outcome");
  color["legend"] = {{"orient", "top"}};
  return {{"width", kWidth},
          {"height", kHistHeight},
          {"data", {{"values", v}}},
          {"mark", "bar"},
          {"encoding",
           {{"x", {{"bin", {{"extent", {0, 1}}, {"step", 0.05}}}, {"field", "p"}, {"type", "quantitative"}, {"title", x_title}}},
            {"y", {{"aggregate", "count"}, {"type", "quantitative"}, {"title", "images"}}},
            {"color", color}}}};
}

json bar_chart(const std::vector<Bar>& bars, const std::string& x_title, const std::string& group_title,
               const std::vector<std::string>& group_domain) {
  json v = json::array();
  bool grouped = false;
  for (const Bar& b : bars) {
    v.push_back({{"label", b.label}, {"group", b.group}, {"value", b.value}, {"percent", b.percent}});
    grouped = grouped || !b.group.empty();
  }
  json enc = {{"y", {{"field", "label"}, {"type", "nominal"}, {"sort", "-x"}, {"title", nullptr},
                     {"axis", {{"labelLimit", kLabelLimit}}}}},
              {"x", {{"field", "value"}, {"type", "quantitative"}, {"title", x_title}}},
              {"tooltip", json::array({{{"field", "label"}, {"title", "name"}},
                                       {{"field", "value"}, {"format", ".4f"}, {"title", x_title}},
                                       {{"field", "percent"}, {"format", ".1f"}, {"title", "% of node time"}}})}};
  if (grouped) {
    enc["color"] = {{"field", "group"}, {"type", "nominal"}, {"title", group_title}};
    if (!group_domain.empty()) enc["color"]["scale"] = {{"domain", group_domain}};
    if (group_title.empty()) enc["color"]["legend"] = nullptr;
    else enc["tooltip"].push_back({{"field", "group"}, {"title", group_title}});
  }
  return {{"width", kWidth}, {"height", {{"step", kRowStep}}}, {"data", {{"values", v}}},
          {"mark", {{"type", "bar"}, {"color", "#4c78a8"}}}, {"encoding", enc}};
}

json stat_lines_chart(const std::vector<StatPoint>& points, const std::vector<std::string>& stat_order,
                      const std::string& y_title) {
  json v = json::array();
  for (const StatPoint& p : points) v.push_back({{"series", p.series}, {"stat", p.stat}, {"ms", p.ms}});
  json color = nominal("series");
  color["legend"] = {{"orient", "top"}};
  return {{"width", kWidth},
          {"height", 220},
          {"data", {{"values", v}}},
          {"mark", {{"type", "line"}, {"point", true}}},
          {"encoding",
           {{"x", {{"field", "stat"}, {"type", "ordinal"}, {"sort", stat_order}, {"title", nullptr},
                   {"axis", {{"labelAngle", 0}}}}},
            {"y", {{"field", "ms"}, {"type", "quantitative"}, {"scale", {{"type", "log"}}}, {"title", y_title}}},
            {"color", color},
            {"tooltip", json::array({{{"field", "series"}}, {{"field", "stat"}}, {{"field", "ms"}, {"format", ".3f"}}})}}}};
}

}  // namespace inr::report
