// "Time by op type and by layer": from `inr profile --json` (a trace's totals) and from the per-op
// tables of `inr bench --per-op --json` (mean per run, per batch size).
#include <set>

#include <fmt/format.h>

#include "report/charts.h"
#include "report/sections.h"

namespace inr::report {

namespace {

using json = nlohmann::json;

std::string macs_cell(const json& r) {
  auto m = number(r, "macs");
  return m && *m > 0 ? fmt::format("{:.2f}", *m / 1e6) : kMissing;
}
std::string gflops_cell(const json& r) {
  auto g = number(r, "gflops");
  return g && *g > 0 ? fmt::format("{:.1f}", *g) : kMissing;
}

void add_profile(Page& page, const Input& in, const Context& ctx, const std::vector<std::string>& domain, json& data) {
  const json& d = in.doc;
  page.add_heading("Profile " + in.name);
  page.add_paragraph(escape(fmt::format(
      "Trace {}: {} runs, {} ms of node time in {} ms of run time (totals over the whole trace; nested kernel phases "
      "are not added again).",
      str(d, "trace"), fixed(d, "runs", 0), fixed(d, "node_ms", 1), fixed(d, "run_ms", 1))));
  std::vector<Bar> types, nodes;
  Table tt({{"op type"}, {"count", true}, {"total ms", true}, {"% of node time", true}});
  for (const json& r : d.value("by_op_type", json::array())) {
    types.push_back({str(r, "name"), str(r, "name"), number(r, "total_ms").value_or(0), number(r, "percent").value_or(0)});
    tt.add_row({escape(str(r, "name")), fixed(r, "count", 0), fixed(r, "total_ms", 3), fixed(r, "percent", 1)});
  }
  for (const json& r : d.value("by_node", json::array())) {
    if (static_cast<int>(nodes.size()) >= ctx.options.top_nodes) break;
    nodes.push_back({str(r, "name"), "", number(r, "total_ms").value_or(0), number(r, "percent").value_or(0)});
  }
  Table bt({{"backend"}, {"count", true}, {"total ms", true}, {"% of node time", true}});
  for (const json& r : d.value("by_backend", json::array()))
    bt.add_row({escape(str(r, "name")), fixed(r, "count", 0), fixed(r, "total_ms", 3), fixed(r, "percent", 1)});
  if (!types.empty()) page.add_chart(bar_chart(types, "total ms", "", domain), "Time by op type, summed over the trace.");
  page.add_html(tt.html());
  if (!nodes.empty())
    page.add_chart(bar_chart(nodes, "total ms", "", {}),
                   fmt::format("Time by node (layer): the {} slowest of the trace.", nodes.size()));
  if (!bt.empty()) page.add_html(bt.html());
  data.push_back({{"file", in.path}, {"op_types", types.size()}, {"nodes", nodes.size()}});
}

void add_bench_per_op(Page& page, const Input& in, const json& r, const Context& ctx,
                      const std::vector<std::string>& domain, json& data) {
  const json& p = r["per_op"];
  const std::string batch = fixed(r, "batch", 0);
  const std::string model = file_name(in.doc.value("model", json::object()).value("path", "?"));
  page.add_heading(fmt::format("Bench {} ({}), batch {}", in.name, model, batch));
  page.add_paragraph(escape(fmt::format("Mean per run over {} profiled runs (after the timed ones): node time {} ms, "
                                        "run time {} ms. MACs and GFLOP/s where the op has MACs.",
                                        fixed(p, "runs", 0), fixed(p, "node_ms", 3), fixed(p, "run_ms", 3))));
  std::vector<Bar> types, nodes;
  Table tt({{"op type"}, {"nodes", true}, {"mean ms", true}, {"% of node time", true}, {"MMACs", true}, {"GFLOP/s", true}});
  for (const json& o : p.value("op_types", json::array())) {
    types.push_back({str(o, "op_type"), str(o, "op_type"), number(o, "mean_ms").value_or(0), number(o, "percent").value_or(0)});
    tt.add_row({escape(str(o, "op_type")), fixed(o, "nodes", 0), fixed(o, "mean_ms", 4), fixed(o, "percent", 2),
                macs_cell(o), gflops_cell(o)});
  }
  Table nt({{"node"}, {"op type"}, {"backend"}, {"mean ms", true}, {"% of node time", true}, {"MMACs", true},
            {"GFLOP/s", true}});
  for (const json& o : p.value("nodes", json::array())) {
    if (static_cast<int>(nodes.size()) < ctx.options.top_nodes)
      nodes.push_back({str(o, "name"), str(o, "op_type"), number(o, "mean_ms").value_or(0), number(o, "percent").value_or(0)});
    nt.add_row({escape(str(o, "name")), escape(str(o, "op_type")), escape(str(o, "backend")), fixed(o, "mean_ms", 4),
                fixed(o, "percent", 2), macs_cell(o), gflops_cell(o)});
  }
  if (!types.empty()) page.add_chart(bar_chart(types, "mean ms per run", "", domain), "Time by op type.");
  page.add_html(tt.html());
  if (!nodes.empty())
    page.add_chart(bar_chart(nodes, "mean ms per run", "op type", domain),
                   fmt::format("Time by node (layer): the {} slowest, coloured by op type.", nodes.size()));
  if (!nt.empty()) page.add_html("<details><summary>every node</summary>\n" + nt.html() + "</details>\n");
  data.push_back({{"file", in.path}, {"batch", r.value("batch", json())}, {"op_types", types.size()}, {"nodes", nodes.size()}});
}

}  // namespace

void add_ops_section(Page& page, const std::vector<Input>& inputs, const Context& ctx) {
  bool any = false;
  for (const Input& in : inputs) {
    any = any || in.kind == InputKind::kProfile;
    if (in.kind == InputKind::kBench)
      for (const json& r : in.doc.value("results", json::array())) any = any || (r.is_object() && r.contains("per_op"));
  }
  if (!any) return;
  // Every op type of every table, sorted: one colour per op type across all the charts of the page.
  std::set<std::string> types;
  for (const Input& in : inputs) {
    if (in.kind == InputKind::kProfile)
      for (const json& r : in.doc.value("by_op_type", json::array())) types.insert(str(r, "name"));
    if (in.kind == InputKind::kBench)
      for (const json& r : in.doc.value("results", json::array()))
        if (r.is_object() && r.contains("per_op") && r["per_op"].is_object())
          for (const json& o : r["per_op"].value("op_types", json::array())) types.insert(str(o, "op_type"));
  }
  const std::vector<std::string> domain(types.begin(), types.end());
  page.begin_section("ops", "Time by op type and by layer");
  json& data = page.data()["ops"] = json::array();
  for (const Input& in : inputs) {
    if (in.kind == InputKind::kProfile) add_profile(page, in, ctx, domain, data);
    if (in.kind == InputKind::kBench)
      for (const json& r : in.doc.value("results", json::array()))
        if (r.is_object() && r.contains("per_op") && r["per_op"].is_object())
          add_bench_per_op(page, in, r, ctx, domain, data);
  }
  page.end_section();
}

}  // namespace inr::report
