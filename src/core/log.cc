#include "core/log.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace inr {

namespace {

struct LevelName {
  std::string_view name;
  LogLevel level;
};
constexpr LevelName kNames[] = {{"debug", LogLevel::kDebug}, {"info", LogLevel::kInfo},   {"warn", LogLevel::kWarn},
                                {"warning", LogLevel::kWarn}, {"error", LogLevel::kError}, {"quiet", LogLevel::kQuiet}};

std::atomic<LogLevel>& level_ref() {
  // A bad INR_LOG leaves the default here; front ends report it (log_level_from_env).
  static std::atomic<LogLevel> level{[] {
    Result<LogLevel> env = log_level_from_env();
    return env.is_ok() ? env.value() : LogLevel::kWarn;
  }()};
  return level;
}

}  // namespace

Result<LogLevel> parse_log_level(std::string_view text) {
  if (text.size() == 1 && text[0] >= '0' && text[0] <= '4') return static_cast<LogLevel>(text[0] - '0');
  for (const LevelName& n : kNames)
    if (n.name == text) return n.level;
  return error("'{}' is not a log level (expected debug, info, warn, error, quiet or 0..4)", text);
}

Result<LogLevel> log_level_from_env() {
  const char* v = std::getenv(kLogEnv);
  if (v == nullptr || *v == '\0') return LogLevel::kWarn;
  auto level = parse_log_level(v);
  if (!level) return level.status().with_context(kLogEnv);
  return level;
}

LogLevel log_level() { return level_ref().load(std::memory_order_relaxed); }
void set_log_level(LogLevel level) { level_ref().store(level); }

void log_write(LogLevel level, std::string_view message) {
  static constexpr const char* kTags[] = {"debug", "info", "warning", "error", ""};
  std::fprintf(stderr, "inr: %s: %.*s\n", kTags[static_cast<int>(level)], static_cast<int>(message.size()),
               message.data());
}

}  // namespace inr
