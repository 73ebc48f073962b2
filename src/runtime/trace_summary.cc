#include "runtime/trace_summary.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/file.h"

namespace inr {

namespace {

// op_type, backend and macs from a node event's args.
void read_args(const nlohmann::json& args, TraceEvent& t) {
  if (!args.is_object()) return;
  t.op_type = args.value("op_type", "");
  t.backend = args.value("backend", "");
  auto int_arg = [&](const char* key) -> int64_t {
    auto m = args.find(key);
    return m != args.end() && m->is_number_integer() ? m->get<int64_t>() : 0;
  };
  auto num_arg = [&](const char* key) -> double {
    auto m = args.find(key);
    return m != args.end() && m->is_number() ? m->get<double>() : 0;
  };
  t.macs = int_arg("macs");
  t.cycles = int_arg("cycles");
  if (t.cycles > 0) {
    t.dma_in_bytes = int_arg("dma_in_bytes");
    t.dma_out_bytes = int_arg("dma_out_bytes");
    t.simulated_us = num_arg("simulated_us");
    t.busy_cycles = num_arg("utilization") * static_cast<double>(t.cycles);
  }
}

// Marks events nested (by time, same pid/tid) inside a "node" event.
void mark_nesting(std::vector<TraceEvent>& events) {
  std::vector<size_t> order(events.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const TraceEvent &x = events[a], &y = events[b];
    if (x.pid != y.pid) return x.pid < y.pid;
    if (x.tid != y.tid) return x.tid < y.tid;
    if (x.ts_us != y.ts_us) return x.ts_us < y.ts_us;
    return x.dur_us > y.dur_us;  // the enclosing event first
  });
  std::vector<size_t> stack;
  int open_nodes = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    TraceEvent& e = events[order[k]];
    // Pop what ended before this event starts, or belongs to another thread.
    while (!stack.empty()) {
      const TraceEvent& top = events[stack.back()];
      if (top.pid == e.pid && top.tid == e.tid && e.ts_us < top.ts_us + top.dur_us) break;
      open_nodes -= top.cat == "node";
      stack.pop_back();
    }
    e.nested_in_node = open_nodes > 0;
    stack.push_back(order[k]);
    open_nodes += e.cat == "node";
  }
}

void add(TimeBucket& b, const TraceEvent& e) {
  if (b.count == 0) {
    b.op_type = e.op_type;
    b.backend = e.backend;
  }
  b.count += 1;
  b.total_us += e.dur_us;
  b.macs += e.macs;
  b.cycles += e.cycles;
  b.dma_in_bytes += e.dma_in_bytes;
  b.dma_out_bytes += e.dma_out_bytes;
  b.simulated_us += e.simulated_us;
  b.busy_cycles += e.busy_cycles;
}

}  // namespace

Result<std::vector<TraceEvent>> load_chrome_trace(const std::string& path) {
  INR_ASSIGN_OR_RETURN(std::string text, read_file(path));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return error("{}: not valid JSON", path);
  const nlohmann::json* events = &j;
  if (j.is_object()) {
    auto it = j.find("traceEvents");
    if (it == j.end() || !it->is_array()) return error("{}: no \"traceEvents\" array", path);
    events = &*it;
  }
  if (!events->is_array()) return error("{}: not a Chrome trace (expected an object or an array)", path);
  std::vector<TraceEvent> out;
  for (const auto& e : *events) {
    if (!e.is_object() || e.value("ph", "") != "X") continue;
    TraceEvent t;
    t.name = e.value("name", "");
    t.cat = e.value("cat", "");
    if (!e.contains("ts") || !e["ts"].is_number() || !e.contains("dur") || !e["dur"].is_number())
      return error("{}: event '{}' has no numeric ts/dur", path, t.name);
    t.ts_us = e["ts"].get<double>();
    t.dur_us = e["dur"].get<double>();
    t.pid = e.contains("pid") && e["pid"].is_number_integer() ? e["pid"].get<int64_t>() : 0;
    t.tid = e.contains("tid") && e["tid"].is_number_integer() ? e["tid"].get<int64_t>() : 0;
    if (auto a = e.find("args"); a != e.end()) read_args(*a, t);
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<TraceEvent> trace_events(const Profiler& profiler) {
  std::vector<TraceEvent> out;
  out.reserve(profiler.events().size());
  for (const Profiler::Event& e : profiler.events()) {
    TraceEvent t;
    t.name = e.name;
    t.cat = e.cat;
    t.ts_us = e.ts_us;
    t.dur_us = e.dur_us;
    t.pid = e.pid;
    t.tid = e.tid;
    // Only node events carry the args this summary reads; phases' args ({"what": ...}) are not parsed.
    if (e.cat == "node" && !e.args_json.empty())
      read_args(nlohmann::json::parse(e.args_json, nullptr, /*allow_exceptions=*/false), t);
    out.push_back(std::move(t));
  }
  return out;
}

TraceSummary summarize_trace(std::vector<TraceEvent> events) {
  mark_nesting(events);
  TraceSummary s;
  s.events = events.size();
  bool first = true;
  for (const TraceEvent& e : events) {
    add(s.by_cat[e.cat], e);
    if (e.cat == "simulated") continue;  // another time base
    if (first || e.ts_us < s.t0_us) s.t0_us = e.ts_us;
    if (first || e.ts_us + e.dur_us > s.t1_us) s.t1_us = e.ts_us + e.dur_us;
    first = false;
    if (e.nested_in_node) {
      if (e.cat != "node") add(s.by_phase[e.name], e);  // phases: shown inside nodes, never in the totals
      continue;
    }
    if (e.cat != "node") continue;
    s.node_us += e.dur_us;
    if (e.cycles > 0) add(s.simulated, e);
    add(s.by_op_type[e.op_type.empty() ? e.name : e.op_type], e);
    add(s.by_backend[e.backend.empty() ? std::string("?") : e.backend], e);
    add(s.by_node[e.name], e);
  }
  return s;
}

std::vector<std::pair<std::string, TimeBucket>> by_time(const std::map<std::string, TimeBucket>& table) {
  std::vector<std::pair<std::string, TimeBucket>> v(table.begin(), table.end());
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return a.second.total_us > b.second.total_us || (a.second.total_us == b.second.total_us && a.first < b.first);
  });
  return v;
}

std::vector<std::pair<std::string, TimeBucket>> by_cycles(const std::map<std::string, TimeBucket>& table) {
  std::vector<std::pair<std::string, TimeBucket>> v(table.begin(), table.end());
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    if (a.second.cycles != b.second.cycles) return a.second.cycles > b.second.cycles;
    if (a.second.total_us != b.second.total_us) return a.second.total_us > b.second.total_us;
    return a.first < b.first;
  });
  return v;
}

double gflops(int64_t macs, double us) {
  if (macs <= 0 || us <= 0) return 0;
  return 2.0 * static_cast<double>(macs) / (us * 1e3);  // flops / (us * 1e-6) / 1e9
}

}  // namespace inr
