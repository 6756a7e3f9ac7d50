// Config: the immutable settings snapshot shared by every Waybill program, read from one INI
// file (/etc/waybill/waybill.conf, Boost.Program_options syntax, one [section] per component)
// and overridden by `--section.key VALUE` on the command line.
//
//   ConfigParser parser("waybill-milter", "Postfix milter: tracking, headers, DKIM.");
//   auto parsed = parser.parse(argc, argv);
//   if (!parsed) { fmt::print(stderr, "{}\n", parsed.error()); return 78; }
//   if (parsed->exit_now) return parsed->exit_code;       // --help / --version
//   const Config& config = *parsed->config;
//
// Each [section] has its struct, options and checks in config/<section>_options.h; values that
// belong to a domain module (quota rules, scopes, webhook endpoints) are kept as written and
// built by that module (policy/policyd_settings.h, webhook/webhooks_settings.h).
#pragma once

#include <boost/program_options.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/api_options.h"
#include "config/database_options.h"
#include "config/dkim_options.h"
#include "config/dns_options.h"
#include "config/log_options.h"
#include "config/logd_options.h"
#include "config/milter_options.h"
#include "config/pipe_options.h"
#include "config/policyd_options.h"
#include "config/trackd_options.h"
#include "config/tracking_options.h"
#include "config/webhooks_options.h"
#include "util/result.h"

namespace waybill {

inline constexpr const char* kDefaultConfigFile = "/etc/waybill/waybill.conf";
// What ConfigParser::parse answers (exit_now) for a mistake on the command line: EX_USAGE.
inline constexpr int kUsageExitStatus = 64;

struct Config {
  std::string source_file;  // the file read, empty when none
  DatabaseConfig database;
  TrackingConfig tracking;
  MilterConfig milter;
  PolicydConfig policyd;
  TrackdConfig trackd;
  WebhooksConfig webhooks;
  DkimConfig dkim;
  PipeConfig pipe;
  LogdConfig logd;
  ApiConfig api;
  DnsConfig dns;
  LogConfig log;
};

struct ParsedCommandLine {
  std::shared_ptr<const Config> config;
  boost::program_options::variables_map program_values;  // the program's own options
  bool exit_now = false;  // --help or --version was answered
  int exit_code = 0;
};

// Parses the shared options plus the options a program adds with programOptions().
class ConfigParser {
 public:
  ConfigParser(std::string program, std::string summary);

  boost::program_options::options_description& programOptions() { return program_options_; }
  boost::program_options::positional_options_description& positional() { return positional_; }

  // Errors come back as one line naming the option and the problem.
  Result<ParsedCommandLine> parse(int argc, const char* const argv[]) const;
  // For tests and tools: the same, from a file's text and extra arguments.
  Result<std::shared_ptr<const Config>> parseText(const std::string& ini_text) const;

  std::string helpText() const;

 private:
  std::string program_;
  std::string summary_;
  boost::program_options::options_description program_options_{"Program options"};
  boost::program_options::positional_options_description positional_;
};

// Registers every [section].key that the file may contain.
boost::program_options::options_description sharedOptions();
// Builds and validates the typed snapshot from parsed values.
Result<std::shared_ptr<const Config>> buildConfig(const boost::program_options::variables_map& vm,
                                                  std::string source_file);

}  // namespace waybill
