// `inr profile TRACE.json [--top N] [--json]`
//
// Reads a Chrome trace written by `-t` (classify, bench, eval) and prints where the time went: by op
// type, by backend and by node (top N), each with its share of the total node time, plus the run /
// batch / decode totals of the trace.
//
// Counting rule: totals are the sum of the top-level "node" events (complete events, ph "X"). Events
// nested inside a node on the same thread — kernel "phase" events such as reorder, or a node event
// inside another node event — are never added to the totals; phases get their own table ("inside
// nodes") so their time is visible without being counted twice.
#include <algorithm>
#include <cstdio>
#include <map>

#include <nlohmann/json.hpp>

#include "cli_errors.h"
#include "command.h"
#include "provenance.h"
#include "core/file.h"

namespace inr::cli {

namespace {

struct TraceEvent {
  std::string name, cat, op_type, backend;
  double ts = 0, dur = 0;  // microseconds
  int64_t pid = 0, tid = 0;
  bool nested_in_node = false;
};

struct Bucket {
  int64_t count = 0;
  double total_us = 0;
};

Result<std::vector<TraceEvent>> load_trace(const std::string& path) {
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
    t.ts = e["ts"].get<double>();
    t.dur = e["dur"].get<double>();
    if (e.contains("pid") && e["pid"].is_number_integer()) t.pid = e["pid"].get<int64_t>();
    if (e.contains("tid") && e["tid"].is_number_integer()) t.tid = e["tid"].get<int64_t>();
    if (auto a = e.find("args"); a != e.end() && a->is_object()) {
      t.op_type = a->value("op_type", "");
      t.backend = a->value("backend", "");
    }
    out.push_back(std::move(t));
  }
  return out;
}

// Marks events nested (by time, same pid/tid) inside a "node" event.
void mark_nesting(std::vector<TraceEvent>& events) {
  std::vector<size_t> order(events.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const TraceEvent &x = events[a], &y = events[b];
    if (x.pid != y.pid) return x.pid < y.pid;
    if (x.tid != y.tid) return x.tid < y.tid;
    if (x.ts != y.ts) return x.ts < y.ts;
    return x.dur > y.dur;  // the enclosing event first
  });
  std::vector<size_t> stack;
  int open_nodes = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    TraceEvent& e = events[order[k]];
    // Pop what ended before this event starts, or belongs to another thread.
    while (!stack.empty()) {
      const TraceEvent& top = events[stack.back()];
      if (top.pid == e.pid && top.tid == e.tid && e.ts < top.ts + top.dur) break;
      open_nodes -= top.cat == "node";
      stack.pop_back();
    }
    e.nested_in_node = open_nodes > 0;
    stack.push_back(order[k]);
    open_nodes += e.cat == "node";
  }
}

std::vector<std::pair<std::string, Bucket>> sorted(const std::map<std::string, Bucket>& m) {
  std::vector<std::pair<std::string, Bucket>> v(m.begin(), m.end());
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return a.second.total_us > b.second.total_us || (a.second.total_us == b.second.total_us && a.first < b.first);
  });
  return v;
}

}  // namespace

Command make_profile_command(CLI::App& parent) {
  struct Flags {
    std::string trace;
    int top = 15;
    bool json = false;
  };
  auto f = std::make_shared<Flags>();
  Command c;
  c.app = parent.add_subcommand("profile", "Summarise a Chrome trace (-t): time by op type, node and backend");
  c.app->add_option("trace", f->trace, "Trace JSON written by -t")->required();
  c.app->add_option("--top", f->top, "Nodes to list")->check(at_least(0));
  c.app->add_flag("--json", f->json, "Print one JSON object");
  c.run = [f] {
    auto loaded = load_trace(f->trace);
    if (!loaded) return fail(loaded.status());
    std::vector<TraceEvent>& events = *loaded;
    mark_nesting(events);
    std::map<std::string, Bucket> by_op, by_backend, by_node, by_phase, by_cat;
    double node_total = 0, t0 = 0, t1 = 0;
    bool first = true;
    for (const TraceEvent& e : events) {
      if (first || e.ts < t0) t0 = e.ts;
      if (first || e.ts + e.dur > t1) t1 = e.ts + e.dur;
      first = false;
      Bucket& cb = by_cat[e.cat];
      cb.count += 1;
      cb.total_us += e.dur;
      if (e.nested_in_node) {
        if (e.cat != "node") {  // phases: shown inside nodes, never added to the totals
          Bucket& b = by_phase[e.name];
          b.count += 1;
          b.total_us += e.dur;
        }
        continue;
      }
      if (e.cat != "node") continue;
      node_total += e.dur;
      for (auto [map, key] : {std::pair{&by_op, e.op_type.empty() ? e.name : e.op_type},
                              std::pair{&by_backend, e.backend.empty() ? std::string("?") : e.backend},
                              std::pair{&by_node, e.name}}) {
        Bucket& b = (*map)[key];
        b.count += 1;
        b.total_us += e.dur;
      }
    }
    if (by_cat["node"].count == 0)
      return fail(error("{}: no \"node\" events (was the trace written with -t by a command that runs a model?)",
                        f->trace));
    const double run_total = by_cat["run"].total_us;
    auto pct = [&](double us) { return node_total > 0 ? 100.0 * us / node_total : 0.0; };

    if (f->json) {
      auto table = [&](const std::map<std::string, Bucket>& m, size_t limit) {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& [k, b] : sorted(m)) {
          if (arr.size() >= limit) break;
          arr.push_back({{"name", k}, {"count", b.count}, {"total_ms", b.total_us / 1e3}, {"percent", pct(b.total_us)}});
        }
        return arr;
      };
      nlohmann::json j = provenance_base(kProfileSchema, 1, 0);
      j.erase("threads");  // the trace's, not this process's: see the trace's otherData
      j["trace"] = f->trace;
      j.update(nlohmann::json{{"events", events.size()},
                          {"span_ms", (t1 - t0) / 1e3},
                          {"node_ms", node_total / 1e3},
                          {"run_ms", run_total / 1e3},
                          {"runs", by_cat["run"].count},
                          {"batch_ms", by_cat["batch"].total_us / 1e3},
                          {"decode_ms", by_cat["decode"].total_us / 1e3},
                          {"by_op_type", table(by_op, SIZE_MAX)},
                          {"by_backend", table(by_backend, SIZE_MAX)},
                          {"by_node", table(by_node, static_cast<size_t>(f->top))},
                          {"phases", table(by_phase, SIZE_MAX)}});
      std::printf("%s\n", j.dump().c_str());
      return 0;
    }
    std::printf("trace       %s: %zu events over %.1f ms\n", f->trace.c_str(), events.size(), (t1 - t0) / 1e3);
    std::printf("runs        %ld, %.1f ms; node time %.1f ms (%.1f%% of run time)\n",
                static_cast<long>(by_cat["run"].count), run_total / 1e3, node_total / 1e3,
                run_total > 0 ? 100.0 * node_total / run_total : 0.0);
    if (by_cat["batch"].count)
      std::printf("batches     %ld, %.1f ms inference; decode %.1f ms on the loader thread (overlapped)\n",
                  static_cast<long>(by_cat["batch"].count), by_cat["batch"].total_us / 1e3,
                  by_cat["decode"].total_us / 1e3);
    auto print_table = [&](const char* title, const char* col, const std::map<std::string, Bucket>& m, size_t limit,
                           bool share) {
      std::printf("\n%s\n  %-40s %7s %11s %7s %10s\n", title, col, "count", "total_ms", "%", "mean_us");
      size_t k = 0;
      for (const auto& [name, b] : sorted(m)) {
        if (k++ >= limit) break;
        std::printf("  %-40s %7ld %11.3f %6.1f%% %10.1f\n", name.c_str(), static_cast<long>(b.count), b.total_us / 1e3,
                    pct(b.total_us), b.total_us / static_cast<double>(b.count));
      }
    };
    print_table("by op type (share of node time)", "op_type", by_op, SIZE_MAX, true);
    print_table("by backend", "backend", by_backend, SIZE_MAX, true);
    print_table(fmt::format("by node (top {})", f->top).c_str(), "node", by_node, static_cast<size_t>(f->top), true);
    if (!by_phase.empty())
      print_table("phases (inside nodes: part of the node time above, not added again)", "phase", by_phase, SIZE_MAX,
                  true);
    return 0;
  };
  return c;
}

}  // namespace inr::cli
