// The [log] section: how much every program logs and where. LogLevel is the vocabulary of
// log.level; the logging module takes it as its own level (log::Level).
#pragma once

#include <boost/program_options.hpp>
#include <string_view>

#include "util/result.h"

namespace waybill {

enum class LogLevel { Debug = 0, Info = 1, Warning = 2, Error = 3 };
// "debug" | "info" | "warning" | "error".
Result<LogLevel> parseLogLevel(std::string_view text);

struct LogConfig {
  LogLevel level = LogLevel::Info;
  bool to_stderr = true;
  bool to_syslog = true;
};

void addLogOptions(boost::program_options::options_description& desc);
Status buildLog(const boost::program_options::variables_map& vm, LogConfig& log);

}  // namespace waybill
