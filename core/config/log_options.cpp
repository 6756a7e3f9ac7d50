#include "config/log_options.h"

#include <string>

#include "config/log_level_names.h"

namespace po = boost::program_options;

namespace waybill {

Result<LogLevel> parseLogLevel(std::string_view text) { return kLogLevelNames.parse(text); }

void addLogOptions(po::options_description& desc) {
  const LogConfig d;
  desc.add_options()
      ("log.level", po::value<std::string>()->default_value("info"), "debug | info | warning | error")
      ("log.stderr", po::value<bool>()->default_value(d.to_stderr), "also log to stderr")
      ("log.syslog", po::value<bool>()->default_value(d.to_syslog), "log to syslog, facility mail");
}

Status buildLog(const po::variables_map& vm, LogConfig& log) {
  auto level = parseLogLevel(vm["log.level"].as<std::string>());
  if (!level) return makeError("option 'log.level': " + level.error());
  log.level = *level;
  log.to_stderr = vm["log.stderr"].as<bool>();
  log.to_syslog = vm["log.syslog"].as<bool>();
  return {};
}

}  // namespace waybill
