// One section per `inr compare --json`: the sides' accuracy, each side's paired delta against A with its
// 95% interval and McNemar's p, top-1 agreement, latency, and (two sides) the flipped images as thumbnails.
// Reads both forms compare writes: the N-model "models" array, and the two-sided "a" / "b" objects with
// the pair fields at the top level (the only form before N-model compare).
#include <fmt/format.h>

#include "report/charts.h"
#include "report/sections.h"
#include "report/thumbnails.h"

namespace inr::report {

namespace {

using json = nlohmann::json;

struct Side {
  std::string letter, path, kind;
  json accuracy;  // summary (top1, top1_ci, ...) or null
  json vs;        // {"delta", "ci", "mcnemar_p", "top1_agreement", "top1_agreement_ci", "top1", "top5"} or null
  json latency;   // {"batch", "runs", "p50", "p90", "min", "max"} or null
  std::string label() const { return letter + ": " + file_name(path); }
};

std::vector<Side> sides_of(const json& d) {
  std::vector<Side> out;
  if (d.contains("models") && d["models"].is_array()) {
    for (const json& m : d["models"])
      out.push_back({m.value("name", "?"), m.value("path", "?"), m.value("kind", ""), m.value("accuracy", json()),
                     m.value("vs_first", json()), m.value("latency_ms", json())});
    return out;
  }
  if (!d.contains("a") || !d.contains("b")) return out;
  const json t1 = d.value("top1_mcnemar", json::object());
  json vs = {{"delta", t1.value("delta", json())},
             {"ci", t1.value("delta_ci", json())},
             {"mcnemar_p", t1.value("p_value", json())},
             {"top1_agreement", d.value("top1_agreement", json())},
             {"top1_agreement_ci", d.value("top1_agreement_ci", json())},
             {"top1", t1},
             {"top5", d.value("top5_mcnemar", json())}};
  out.push_back({"A", d["a"].value("name", "?"), "", d["a"], json(), json()});
  out.push_back({"B", d["b"].value("name", "?"), "", d["b"], vs, json()});
  return out;
}

// "+1.25 [-0.40, +2.90]" in percentage points from fractions.
std::string delta_cell(const json& t) {
  auto d = number(t, "delta");
  if (!d) return kMissing;
  std::string out = fmt::format("{:+.2f}", 100 * *d);
  const json ci = t.value("delta_ci", t.value("ci", json()));
  if (ci.is_array() && ci.size() == 2 && ci[0].is_number())
    out += fmt::format(" [{:+.2f}, {:+.2f}]", 100 * ci[0].get<double>(), 100 * ci[1].get<double>());
  return out;
}

std::string p_cell(const json& t) {
  auto p = number(t, "p_value");
  if (!p) return kMissing;
  const std::string test = t.value("test", "");
  return fmt::format("{:.3g}{}", *p, test == "exact" ? " (exact)" : test == "chi2" ? " (&chi;&sup2;)" : "");
}

std::string class_name(const data::Labels& labels, const json& idx) {
  if (!idx.is_number_integer()) return "?";
  const int64_t i = idx.get<int64_t>();
  return fmt::format("{} {}", i, labels.name(i));
}

void add_flips(Page& page, const json& flips, const std::vector<Side>& sides, Context& ctx, json& data) {
  int64_t a_right = 0;
  for (const json& f : flips) a_right += f.value("right", "") == "A";
  page.add_heading(fmt::format("Flipped top-1 predictions: {} ({} where only A is right, {} where only B is right)",
                               flips.size(), a_right, static_cast<int64_t>(flips.size()) - a_right));
  page.add_paragraph(fmt::format(
      "Border: <span style=\"color:#4c78a8\">blue</span> only A ({}) is right, <span style=\"color:#f58518\">orange"
      "</span> only B ({}) is right. Thumbnails: shorter side {} px, center square.",
      escape(sides[0].label()), escape(sides[1].label()), ctx.options.thumbnail_px));
  std::string grid = "<div class=\"flips\">\n";
  int shown = 0, missing = 0;
  for (const json& f : flips) {
    if (shown >= ctx.options.max_thumbnails) break;
    ++shown;
    const std::string key = f.value("path", "");
    const bool a = f.value("right", "") == "A";
    std::string img;
    const std::string file = find_image(key, ctx.image_roots);
    if (!file.empty()) {
      auto uri = thumbnail_data_uri(file, ctx.options.thumbnail_px, ctx.options.thumbnail_quality);
      if (uri) {
        img = fmt::format("<img alt=\"{}\" src=\"{}\">", escape(key), *uri);
        ++ctx.stats.thumbnails;
      } else {
        img = "<div class=\"noimg\">" + escape(uri.status().message()) + "</div>";
      }
    }
    if (img.empty()) {
      img = "<div class=\"noimg\">image not found</div>";
      ++missing;
    }
    grid += fmt::format("<figure class=\"{}\" title=\"{}\">{}<figcaption><b>true</b> {}<br><b>A</b> {}<br><b>B</b> "
                        "{}<br><span class=\"muted\">{}</span></figcaption></figure>\n",
                        a ? "a" : "b", escape(key), img, escape(class_name(ctx.labels, f.value("label", json()))),
                        escape(class_name(ctx.labels, f.value("a_top1", json()))),
                        escape(class_name(ctx.labels, f.value("b_top1", json()))), escape(file_name(key)));
  }
  grid += "</div>\n";
  page.add_html(grid);
  ctx.stats.missing_images += missing;
  if (missing)
    page.add_paragraph(fmt::format("{} of the images were not found under the dataset roots the inputs name "
                                   "(give --images DIR).",
                                   missing));
  if (static_cast<int64_t>(flips.size()) > shown) {
    Table t({{"image"}, {"true"}, {"A"}, {"B"}, {"right"}});
    for (size_t k = static_cast<size_t>(shown); k < flips.size(); ++k) {
      const json& f = flips[k];
      t.add_row({escape(f.value("path", "")), escape(class_name(ctx.labels, f.value("label", json()))),
                 escape(class_name(ctx.labels, f.value("a_top1", json()))),
                 escape(class_name(ctx.labels, f.value("b_top1", json()))), escape(f.value("right", ""))});
    }
    page.add_html(fmt::format("<details><summary>{} more flipped images</summary>\n{}</details>\n",
                              flips.size() - static_cast<size_t>(shown), t.html()));
  }
  data["flips"] = flips.size();
  data["thumbnails"] = shown - missing;
}

}  // namespace

void add_compare_sections(Page& page, const std::vector<Input>& inputs, Context& ctx) {
  int k = 0;
  for (const Input& in : inputs) {
    if (in.kind != InputKind::kCompare) continue;
    const json& d = in.doc;
    const std::vector<Side> sides = sides_of(d);
    page.begin_section(fmt::format("compare-{}", ++k), "Comparison: " + in.name);
    json& data = page.data()["compare"].emplace_back(json{{"file", in.path}, {"sides", json::array()}});
    std::string intro;
    if (d.contains("dataset") && d["dataset"].is_object()) {
      const json& ds = d["dataset"];
      intro += fmt::format("{} images compared", fixed(ds, "compared", 0) != kMissing ? fixed(ds, "compared", 0)
                                                                                         : fixed(ds, "images", 0));
      if (auto f = number(ds, "failed"); f && *f > 0) intro += fmt::format(" ({:.0f} failed on some side, left out)", *f);
      intro += ". ";
    } else if (auto n = number(d, "images")) {
      intro += fmt::format("{:.0f} images compared. ", *n);
    }
    intro += "Deltas are each side minus A, in percentage points, on the same images, with 95% intervals; McNemar's "
             "test is on the images where exactly one of the two is right.";
    if (d.contains("latency") && d["latency"].is_object())
      intro += fmt::format(" Latency: {} timed runs per model at batch {}, {} between the models.",
                           fixed(d["latency"], "runs", 0), fixed(d["latency"], "batch", 0),
                           d["latency"].value("order", "alternating"));
    page.add_paragraph(escape(intro));
    Table t({{"side"}, {"kind"}, {"top-1 % [95% CI]", true}, {"top-5 % [95% CI]", true},
             {"top-1 vs A, pp [95% CI]", true}, {"McNemar p (top-1)", true}, {"top-5 vs A, pp [95% CI]", true},
             {"McNemar p (top-5)", true}, {"top-1 agreement % [95% CI]", true}, {"p50 ms [min, max]", true}});
    std::vector<IntervalPoint> deltas, latency;
    for (const Side& s : sides) {
      const json t1 = s.vs.is_object() ? s.vs.value("top1", json::object()) : json::object();
      const json t5 = s.vs.is_object() ? s.vs.value("top5", json::object()) : json::object();
      std::string lat = kMissing;
      if (s.latency.is_object() && number(s.latency, "p50")) {
        lat = fmt::format("{} [{}, {}]", fixed(s.latency, "p50", 3), fixed(s.latency, "min", 3), fixed(s.latency, "max", 3));
        latency.push_back({s.label(), "p50 (rule: min to max)", *number(s.latency, "p50"),
                           number(s.latency, "min").value_or(0), number(s.latency, "max").value_or(0)});
      }
      t.add_row({escape(s.label()), escape(s.kind.empty() ? kMissing : s.kind),
                 s.accuracy.is_object() ? percent_ci(s.accuracy, "top1", "top1_ci") : kMissing,
                 s.accuracy.is_object() ? percent_ci(s.accuracy, "top5", "top5_ci") : kMissing,
                 s.vs.is_object() ? delta_cell(t1) : kMissing, s.vs.is_object() ? p_cell(t1) : kMissing,
                 s.vs.is_object() ? delta_cell(t5) : kMissing, s.vs.is_object() ? p_cell(t5) : kMissing,
                 s.vs.is_object() ? percent_ci(s.vs, "top1_agreement", "top1_agreement_ci") : kMissing, lat});
      json row = {{"side", s.letter}, {"path", s.path}};
      if (s.accuracy.is_object()) row["top1"] = s.accuracy.value("top1", json());
      if (s.vs.is_object()) {
        row["delta_top1"] = t1.value("delta", json());
        row["mcnemar_p_top1"] = t1.value("p_value", json());
        row["delta_top5"] = t5.value("delta", json());
        row["mcnemar_p_top5"] = t5.value("p_value", json());
      }
      if (s.latency.is_object()) row["p50_ms"] = s.latency.value("p50", json());
      data["sides"].push_back(row);
      for (auto [series, tt] : {std::pair{"top-1", &t1}, std::pair{"top-5", &t5}}) {
        auto v = number(*tt, "delta");
        const json ci = tt->value("delta_ci", json());
        if (v && ci.is_array() && ci.size() == 2 && ci[0].is_number())
          deltas.push_back({s.label(), series, 100 * *v, 100 * ci[0].get<double>(), 100 * ci[1].get<double>()});
      }
    }
    page.add_html(t.html());
    if (!deltas.empty())
      page.add_chart(interval_chart(deltas, "accuracy minus A's, percentage points (95% interval)", true),
                     "Paired accuracy difference against A; an interval that crosses the dashed zero line is not a "
                     "significant difference at 95%.");
    if (!latency.empty())
      page.add_chart(interval_chart(latency, "latency per run, ms", false),
                     "Median latency of each model (point) and the range of its timed runs (rule).");
    if (d.contains("flips") && d["flips"].is_array() && sides.size() == 2 && !d["flips"].empty())
      add_flips(page, d["flips"], sides, ctx, data);
    page.end_section();
  }
}

}  // namespace inr::report
