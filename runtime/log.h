// Logging for every Waybill program: syslog with the mail facility (where Postfix logs too, so
// an operator finds both in one place), and stderr when running in the foreground.
//
//   log::init("waybill-milter", {.to_stderr = true, .level = log::Level::Info});
//   log::info("accepted {} recipients", n);
#pragma once

#include <fmt/format.h>
#include <string>
#include <string_view>

#include "config/log_options.h"

namespace waybill::log {

using Level = LogLevel;  // the [log] section's levels (config/log_options.h)

struct Options {
  bool to_stderr = true;
  bool to_syslog = true;
  Level level = Level::Info;
};

void init(std::string_view program, const Options& options);
void write(Level level, std::string_view message);
bool enabled(Level level);
// Changes the level of a running program (a reload); init() sets the first one.
void setLevel(Level level);
// Parses "debug" | "info" | "warning" | "error".
bool parseLevel(std::string_view text, Level& out);

template <typename... Args>
void debug(fmt::format_string<Args...> fmt, Args&&... args) {
  if (enabled(Level::Debug)) write(Level::Debug, fmt::format(fmt, std::forward<Args>(args)...));
}
template <typename... Args>
void info(fmt::format_string<Args...> fmt, Args&&... args) {
  if (enabled(Level::Info)) write(Level::Info, fmt::format(fmt, std::forward<Args>(args)...));
}
template <typename... Args>
void warning(fmt::format_string<Args...> fmt, Args&&... args) {
  if (enabled(Level::Warning)) write(Level::Warning, fmt::format(fmt, std::forward<Args>(args)...));
}
template <typename... Args>
void error(fmt::format_string<Args...> fmt, Args&&... args) {
  write(Level::Error, fmt::format(fmt, std::forward<Args>(args)...));
}

}  // namespace waybill::log
