#include "core/profiler.h"

#include <fmt/format.h>

#include "core/file.h"

namespace inr {

Profiler::Profiler() : origin_(std::chrono::steady_clock::now()) {}

double Profiler::now_us() const {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - origin_).count();
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

Status Profiler::write_chrome_trace(const std::string& path) const {
  std::string out = "{\"displayTimeUnit\": \"ms\", \"traceEvents\": [\n";
  for (size_t i = 0; i < events_.size(); ++i) {
    const Event& e = events_[i];
    out += fmt::format(R"({{"name": "{}", "cat": "{}", "ph": "X", "ts": {:.3f}, "dur": {:.3f}, "pid": 1, "tid": 1)",
                       json_escape(e.name), json_escape(e.cat), e.ts_us, e.dur_us);
    if (!e.args_json.empty()) out += ", \"args\": " + e.args_json;
    out += i + 1 < events_.size() ? "},\n" : "}\n";
  }
  out += "]}\n";
  return write_file_atomic(path, out);
}

}  // namespace inr
