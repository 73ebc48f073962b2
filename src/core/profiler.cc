#include "core/profiler.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/file.h"

namespace inr {

Profiler::Profiler() : origin_(std::chrono::steady_clock::now()) {}

double Profiler::now_us() const {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - origin_).count();
}

double Profiler::add_on_track(int64_t pid, std::string_view track_name, Event e) {
  auto it = std::find_if(tracks_.begin(), tracks_.end(), [&](const Track& t) { return t.pid == pid; });
  if (it == tracks_.end()) it = tracks_.insert(tracks_.end(), Track{pid, std::string(track_name), 0.0});
  e.pid = pid;
  e.ts_us = it->cursor_us;
  it->cursor_us += e.dur_us;
  const double start = e.ts_us;
  events_.push_back(std::move(e));
  return start;
}

double Profiler::track_cursor_us(int64_t pid) const {
  for (const Track& t : tracks_)
    if (t.pid == pid) return t.cursor_us;
  return 0;
}

namespace {
std::string json_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<int>(c));
        } else {
          out += c;
        }
    }
  }
  return out;
}
}  // namespace

std::string Profiler::track_metadata_json() const {
  std::string out;
  if (tracks_.empty()) return out;
  out += R"j(,
{"name": "process_name", "ph": "M", "pid": 1, "tid": 1, "args": {"name": "inr (wall clock)"}})j";
  for (const Track& t : tracks_)
    out += fmt::format(R"j(,
{{"name": "process_name", "ph": "M", "pid": {}, "tid": 1, "args": {{"name": "{}"}}}})j",
                       t.pid, json_escape(t.name));
  return out;
}

Status Profiler::write_chrome_trace(const std::string& path) const {
  std::string out = "{\"displayTimeUnit\": \"ms\", \"traceEvents\": [";
  std::string meta = track_metadata_json();
  bool first = meta.empty();
  if (!meta.empty()) out += meta.substr(1);  // without its leading comma
  for (const Event& e : events_) {
    out += first ? "\n" : ",\n";
    first = false;
    out += fmt::format(R"({{"name": "{}", "cat": "{}", "ph": "X", "ts": {:.3f}, "dur": {:.3f}, "pid": {}, "tid": {})",
                       json_escape(e.name), json_escape(e.cat), e.ts_us, e.dur_us, e.pid, e.tid);
    if (!e.args_json.empty()) out += ", \"args\": " + e.args_json;
    out += "}";
  }
  out += "\n]}\n";
  return write_file_atomic(path, out);
}

}  // namespace inr
