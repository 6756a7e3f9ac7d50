// The checks every [section] of the configuration shares, each failing with one line that names
// the option ("option 'pipe.timeout': must be a positive number, got 0").
#pragma once

#include <boost/program_options.hpp>
#include <string>

#include "util/result.h"

namespace waybill {

// The string value of an option without a default; empty when it is not set.
std::string stringOr(const boost::program_options::variables_map& vm, const char* key);
Status requirePositive(const char* key, int value);
// Reads a *.metrics_listen value into `target`: empty (off) or a loopback HOST:PORT.
Status readMetricsListen(const boost::program_options::variables_map& vm, const char* key, std::string& target);

}  // namespace waybill
