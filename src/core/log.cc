#include "core/log.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace inr {

namespace {
LogLevel level_from_env() {
  const char* v = std::getenv("INR_LOG_LEVEL");
  if (v == nullptr) return LogLevel::kWarn;
  if (std::strcmp(v, "debug") == 0) return LogLevel::kDebug;
  if (std::strcmp(v, "info") == 0) return LogLevel::kInfo;
  if (std::strcmp(v, "error") == 0) return LogLevel::kError;
  if (std::strcmp(v, "quiet") == 0) return LogLevel::kQuiet;
  return LogLevel::kWarn;
}
std::atomic<LogLevel>& level_ref() {
  static std::atomic<LogLevel> level{level_from_env()};
  return level;
}
}  // namespace

LogLevel log_level() { return level_ref().load(std::memory_order_relaxed); }
void set_log_level(LogLevel level) { level_ref().store(level); }

void log_write(LogLevel level, std::string_view message) {
  const char* tag = level == LogLevel::kError ? "error" : level == LogLevel::kWarn ? "warning" : "info";
  std::fprintf(stderr, "inr: %s: %.*s\n", tag, static_cast<int>(message.size()), message.data());
}

}  // namespace inr
