#include "config/logd_options.h"

#include <fmt/format.h>

#include "config/option_checks.h"

namespace waybill {

void addLogdOptions(po::options_description& desc) {
  const LogdConfig d;
  desc.add_options()
      ("logd.log_file", po::value<std::string>()->default_value(d.log_file), "Postfix's log file that waybill-logd follows")
      ("logd.poll_ms", po::value<int>()->default_value(d.poll_ms), "milliseconds waybill-logd waits at the end of the log")
      ("logd.batch_lines", po::value<int>()->default_value(d.batch_lines), "log lines per database transaction at most");
  addMetricsListenOption(desc, "logd");
}

Status buildLogd(const po::variables_map& vm, LogdConfig& logd) {
  if (auto s = readMetricsListen(vm, "logd.metrics_listen", logd.metrics_listen); !s) return s;
  logd.log_file = vm["logd.log_file"].as<std::string>();
  logd.poll_ms = vm["logd.poll_ms"].as<int>();
  logd.batch_lines = vm["logd.batch_lines"].as<int>();
  for (auto [key, value] : {std::pair{"logd.poll_ms", logd.poll_ms}, std::pair{"logd.batch_lines", logd.batch_lines}})
    if (auto s = requirePositive(key, value); !s) return s;
  if (logd.log_file.empty() || logd.log_file[0] != '/')
    return makeError(fmt::format("option 'logd.log_file': '{}' is not an absolute path", logd.log_file));
  return {};
}

}  // namespace waybill
