// Minimal leveled logging to stderr: one line per message, "inr: <level>: <message>".
//
// Levels, most verbose first: debug (0: one line per node and per decision), info (1: one summary line per
// step: passes, placement, threads, memory, compile), warn (2, the default), error (3), quiet (4: nothing).
// The level comes from INR_LOG (a name or 0..4) when the process starts; a front end may set it afterwards
// (the CLI's -d/--debug). Only front ends set the level: the library just logs.
// Messages are formatted only when their level is enabled. Thread-safe: the level is atomic and each line
// is written with one fprintf.
#pragma once

#include <string_view>

#include <fmt/format.h>

#include "inr/status.h"

namespace inr {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kQuiet = 4 };  // the -d / INR_LOG numbers

inline constexpr char kLogEnv[] = "INR_LOG";

LogLevel log_level();
void set_log_level(LogLevel level);
inline bool log_enabled(LogLevel level) { return log_level() <= level; }
void log_write(LogLevel level, std::string_view message);

// "debug" | "info" | "warn" (or "warning") | "error" | "quiet", or "0".."4" in that order.
Result<LogLevel> parse_log_level(std::string_view text);
// The level INR_LOG asks for (kWarn when unset); an error naming the variable when its value is not a level.
Result<LogLevel> log_level_from_env();

template <typename... Args>
void log_error(fmt::format_string<Args...> f, Args&&... args) {
  if (log_enabled(LogLevel::kError)) log_write(LogLevel::kError, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void log_warn(fmt::format_string<Args...> f, Args&&... args) {
  if (log_enabled(LogLevel::kWarn)) log_write(LogLevel::kWarn, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void log_info(fmt::format_string<Args...> f, Args&&... args) {
  if (log_enabled(LogLevel::kInfo)) log_write(LogLevel::kInfo, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void log_debug(fmt::format_string<Args...> f, Args&&... args) {
  if (log_enabled(LogLevel::kDebug)) log_write(LogLevel::kDebug, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace inr
