#include "config/option_checks.h"

#include <fmt/format.h>

#include <utility>

#include "metrics/loopback_listen.h"

namespace waybill {

void addMetricsListenOption(po::options_description& desc, const std::string& section) {
  desc.add_options()(fmt::format("{}.metrics_listen", section).c_str(), po::value<std::string>()->default_value(""),
                     "Prometheus /metrics on 127.0.0.1:PORT (default off)");
}

std::string stringOr(const po::variables_map& vm, const char* key) {
  return vm.count(key) ? vm[key].as<std::string>() : std::string();
}

Status requirePositive(const char* key, int value) {
  if (value > 0) return {};
  return makeError(fmt::format("option '{}': must be a positive number, got {}", key, value));
}

Status readMetricsListen(const po::variables_map& vm, const char* key, std::string& target) {
  auto text = vm[key].as<std::string>();
  if (auto s = metrics::checkLoopbackListen(key, text); !s) return s;
  target = std::move(text);
  return {};
}

}  // namespace waybill
