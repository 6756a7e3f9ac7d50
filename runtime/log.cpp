#include "runtime/log.h"

#include <syslog.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <mutex>

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

const char* levelName(Level level) {
  switch (level) {
    case Level::Debug: return "debug";
    case Level::Info: return "info";
    case Level::Warning: return "warning";
    case Level::Error: return "error";
  }
  return "error";
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
    syslog(syslogPriority(level), "%s: %.*s", levelName(level), static_cast<int>(message.size()),
           message.data());
  }
  if (g_stderr) {
    std::lock_guard lock(g_stderr_mutex);
    std::fprintf(stderr, "%s[%d]: %s: %.*s\n", g_program.c_str(), static_cast<int>(getpid()),
                 levelName(level), static_cast<int>(message.size()), message.data());
  }
}

bool parseLevel(std::string_view text, Level& out) {
  if (text == "debug") out = Level::Debug;
  else if (text == "info") out = Level::Info;
  else if (text == "warning") out = Level::Warning;
  else if (text == "error") out = Level::Error;
  else return false;
  return true;
}

}  // namespace waybill::log
