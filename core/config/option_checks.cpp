#include "config/option_checks.h"

#include <fmt/format.h>

#include <utility>

#include "metrics/loopback_listen.h"

namespace po = boost::program_options;

namespace waybill {

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
