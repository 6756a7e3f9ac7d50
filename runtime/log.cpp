#include "runtime/log.h"

#include <syslog.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <mutex>

#include "config/log_level_names.h"

namespace waybill::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::Info)};
std::atomic<bool> g_stderr{true};
std::atomic<bool> g_syslog{false};
std::string g_program = "waybill";  // written once in init(), before any thread starts
std::mutex g_stderr_mutex;

int syslogPriority(Level level) {
  switch (level) {
    case Level::Debug: return LOG_DEBUG;
    case Level::Info: return LOG_INFO;
    case Level::Warning: return LOG_WARNING;
    case Level::Error: return LOG_ERR;
  }
  return LOG_ERR;
}

}  // namespace

void init(std::string_view program, const Options& options) {
  g_program = std::string(program);
  g_level = static_cast<int>(options.level);
  g_stderr = options.to_stderr;
  g_syslog = options.to_syslog;
  if (options.to_syslog) openlog(g_program.c_str(), LOG_PID | LOG_NDELAY, LOG_MAIL);
}

bool enabled(Level level) { return static_cast<int>(level) >= g_level.load(); }

void setLevel(Level level) { g_level = static_cast<int>(level); }

void write(Level level, std::string_view message) {
  if (!enabled(level)) return;
  if (g_syslog) {
    syslog(syslogPriority(level), "%s: %.*s", kLogLevelNames.nameOf(level), static_cast<int>(message.size()),
           message.data());
  }
  if (g_stderr) {
    std::lock_guard lock(g_stderr_mutex);
    std::fprintf(stderr, "%s[%d]: %s: %.*s\n", g_program.c_str(), static_cast<int>(getpid()),
                 kLogLevelNames.nameOf(level), static_cast<int>(message.size()), message.data());
  }
}

bool parseLevel(std::string_view text, Level& out) {
  const auto level = kLogLevelNames.find(text);
  if (level) out = *level;
  return level.has_value();
}

}  // namespace waybill::log
