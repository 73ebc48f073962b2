// "Latency" (from `inr bench --json`): the run's configuration, then per batch size the latency
// statistics and throughput, in a table and as one line per batch across the statistics.
#include <fmt/format.h>

#include "report/charts.h"
#include "report/sections.h"

namespace inr::report {

namespace {

using json = nlohmann::json;

// Statistics bench writes per batch (older bench versions write a subset), in chart order.
struct Stat {
  const char* key;
  const char* name;
};
constexpr Stat kStats[] = {{"min_ms", "min"}, {"p50_ms", "p50"},     {"p90_ms", "p90"},  {"p95_ms", "p95"},
                           {"p99_ms", "p99"}, {"p999_ms", "p99.9"}, {"max_ms", "max"}};

std::string config_text(const json& c) {
  if (!c.is_object()) return "";
  std::string out;
  auto add = [&](const std::string& s) { out += (out.empty() ? "" : "; ") + s; };
  auto str = [&](const char* k) { return c[k].is_string() ? c[k].get<std::string>() : c[k].dump(); };
  if (c.contains("threads")) add("threads " + str("threads"));
  if (c.contains("backend")) add("backend " + str("backend"));
  if (c.contains("opt_level")) add("opt level " + str("opt_level"));
  if (c.contains("warmup")) add("warmup " + str("warmup"));
  if (c.contains("runs")) add("runs " + str("runs"));
  if (c.contains("duration_s") && number(c, "duration_s").value_or(0) > 0) add("at least " + str("duration_s") + " s");
  if (c.contains("seed")) add("seed " + str("seed"));
  if (c.contains("percentiles")) add("percentiles by " + str("percentiles"));
  if (c.contains("defaults") && c["defaults"].is_array() && !c["defaults"].empty()) {
    std::string d;
    for (const json& x : c["defaults"]) d += (d.empty() ? "" : ", ") + (x.is_string() ? x.get<std::string>() : x.dump());
    add("defaults used for: " + d);
  }
  return out;
}

}  // namespace

void add_latency_section(Page& page, const std::vector<Input>& inputs) {
  bool any = false;
  for (const Input& in : inputs) any = any || in.kind == InputKind::kBench;
  if (!any) return;
  page.begin_section("latency", "Latency and throughput (bench)");
  json& data = page.data()["bench"] = json::array();
  for (const Input& in : inputs) {
    if (in.kind != InputKind::kBench) continue;
    const json& d = in.doc;
    const std::string model = file_name(d.value("model", json::object()).value("path", "?"));
    page.add_heading(in.name + " (" + model + ")");
    const std::string cfg = config_text(d.value("config", json()));
    page.add_paragraph(escape("Latency of one run (one batch) in ms on seeded random inputs" +
                              (cfg.empty() ? std::string(".") : ": " + cfg + ".")));
    Table t({{"batch", true}, {"runs", true}, {"mean", true}, {"stddev", true}, {"min", true}, {"p50", true},
             {"p90", true}, {"p95", true}, {"p99", true}, {"p99.9", true}, {"max", true},
             {"images/s measured", true}, {"images/s from p50", true}, {"arena MiB", true}});
    std::vector<StatPoint> points;
    std::vector<std::string> order;
    for (const Stat& s : kStats) {
      bool present = false;
      for (const json& r : d.value("results", json::array())) present = present || number(r, s.key).has_value();
      if (present) order.push_back(s.name);
    }
    json rows = json::array();
    for (const json& r : d.value("results", json::array())) {
      const std::string batch = fixed(r, "batch", 0);
      auto arena = number(r, "arena_bytes");
      t.add_row({batch, fixed(r, "runs", 0), fixed(r, "mean_ms", 3), fixed(r, "stddev_ms", 3), fixed(r, "min_ms", 3),
                 fixed(r, "p50_ms", 3), fixed(r, "p90_ms", 3), fixed(r, "p95_ms", 3), fixed(r, "p99_ms", 3),
                 fixed(r, "p999_ms", 3), fixed(r, "max_ms", 3), fixed(r, "images_per_s_measured", 1),
                 fixed(r, "images_per_s", 1), arena ? fmt::format("{:.1f}", *arena / (1024.0 * 1024.0)) : kMissing});
      json row = {{"batch", r.value("batch", json())}};
      for (const Stat& s : kStats)
        if (auto v = number(r, s.key)) {
          points.push_back({"batch " + batch, s.name, *v});
          row[s.key] = *v;
        }
      rows.push_back(row);
    }
    data.push_back({{"file", in.path}, {"model", model}, {"results", rows}});
    page.add_html(t.html());
    if (!points.empty())
      page.add_chart(stat_lines_chart(points, order, "ms per run (log scale)"),
                     "Latency statistics of the timed runs, one line per batch size.");
  }
  page.end_section();
}

}  // namespace inr::report
