// The checks every [section] of the configuration shares, each failing with one line that names
// the option ("option 'pipe.timeout': must be a positive number, got 0").
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <utility>
#include <vector>

#include "util/result.h"

namespace waybill {

namespace po = boost::program_options;

// SECTION.metrics_listen, the same option in every daemon's section: Prometheus /metrics, off by default.
void addMetricsListenOption(po::options_description& desc, const std::string& section);

// The string value of an option without a default; empty when it is not set.
std::string stringOr(const boost::program_options::variables_map& vm, const char* key);
Status requirePositive(const char* key, int value);
// Reads a *.metrics_listen value into `target`: empty (off) or a loopback HOST:PORT.
Status readMetricsListen(const boost::program_options::variables_map& vm, const char* key, std::string& target);

// The values of a repeatable option (policyd.quota, webhooks.endpoint), each read by `parse`
// (Result<T> from the text; its error gets "option 'KEY': " before it) and then accepted by
// `check` (Status from the value and those before it; its error is used as it is).
template <typename T, typename Parse, typename Check>
Result<std::vector<T>> parseRepeatedOption(const char* key, const std::vector<std::string>& texts, Parse parse,
                                           Check check) {
  std::vector<T> values;
  for (const auto& text : texts) {
    auto value = parse(text);
    if (!value) return makeError("option '" + std::string(key) + "': " + value.error());
    if (Status usable = check(*value, values); !usable) return makeError(usable.error());
    values.push_back(std::move(*value));
  }
  return values;
}

template <typename T, typename Parse>
Result<std::vector<T>> parseRepeatedOption(const char* key, const std::vector<std::string>& texts, Parse parse) {
  return parseRepeatedOption<T>(key, texts, parse, [](const T&, const std::vector<T>&) { return Status{}; });
}

}  // namespace waybill
