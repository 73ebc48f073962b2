// "Quantization" (from `inr quantize --json`): how each model was made — the settings that decide its
// accuracy, what was left in float, and the size it went from and to. (Per-layer SQNR is not in that
// summary, so the report has no SQNR chart.)
#include <fmt/format.h>

#include "report/sections.h"

namespace inr::report {

using json = nlohmann::json;

void add_quantize_section(Page& page, const std::vector<Input>& inputs) {
  bool any = false;
  for (const Input& in : inputs) any = any || in.kind == InputKind::kQuantize;
  if (!any) return;
  page.begin_section("quantize", "Quantization");
  Table t({{"file"}, {"model"}, {"output"}, {"mode"}, {"calibration"}, {"weights"}, {"activations"},
           {"nodes quantized", true}, {"left float", true}, {"MiB before", true}, {"MiB after", true}});
  json& data = page.data()["quantize"] = json::array();
  std::string left_lists;
  for (const Input& in : inputs) {
    if (in.kind != InputKind::kQuantize) continue;
    const json& d = in.doc;
    std::string mode = str(d, "mode");
    if (!str(d, "target").empty()) mode += " (target " + str(d, "target") + ")";
    std::string calib = kMissing;
    if (d.contains("calibrator")) {
      calib = str(d, "calibrator");
      if (d.contains("percentile")) calib += " " + str(d, "percentile");
      calib += fmt::format(", {} images", str(d, "images_used"));
      if (number(d, "images_failed").value_or(0) > 0) calib += fmt::format(" ({} unreadable)", str(d, "images_failed"));
      if (d.contains("observed_tensors")) calib += fmt::format(", {} tensors observed", str(d, "observed_tensors"));
    }
    const json w = d.value("weights", json()), a = d.value("activations", json());
    std::string weights = w.is_object() ? str(w, "type") + " " + str(w, "granularity") : kMissing;
    if (w.is_object() && w.value("reduce_range", false)) weights += ", reduce range";
    std::string acts = a.is_object() ? str(a, "type") + (a.value("symmetric", false) ? " symmetric" : " asymmetric") : kMissing;
    const json left = d.value("left_float", json::array());
    auto mib = [&](const char* k) {
      auto b = number(d, k);
      return b ? fmt::format("{:.2f}", *b / (1024.0 * 1024.0)) : std::string(kMissing);
    };
    t.add_row({escape(in.name), escape(file_name(d.value("model", json::object()).value("path", "?"))),
               escape(file_name(str(d, "output"))), escape(mode), escape(calib), escape(weights), escape(acts),
               fixed(d, "nodes_quantized", 0), std::to_string(left.size()), mib("bytes_before"), mib("bytes_after")});
    if (!left.empty()) {
      std::string items;
      for (const json& x : left) items += "<li>" + escape(x.is_string() ? x.get<std::string>() : x.dump()) + "</li>";
      left_lists += fmt::format("<details><summary>{}: {} nodes left in float</summary><ul>{}</ul></details>\n",
                                escape(in.name), left.size(), items);
    }
    data.push_back({{"file", in.path},
                    {"mode", d.value("mode", json())},
                    {"nodes_quantized", d.value("nodes_quantized", json())},
                    {"left_float", left.size()},
                    {"bytes_before", d.value("bytes_before", json())},
                    {"bytes_after", d.value("bytes_after", json())}});
  }
  page.add_html(t.html() + left_lists);
  page.end_section();
}

}  // namespace inr::report
