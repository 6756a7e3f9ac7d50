#include "config/config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

namespace po = boost::program_options;

namespace waybill {

po::options_description sharedOptions() {
  po::options_description desc("Configuration (file [section] key, or --section.key on the command line)");
  addDatabaseOptions(desc);
  addTrackingOptions(desc);
  addMilterOptions(desc);
  addPolicydOptions(desc);
  addTrackdOptions(desc, TrackdConfig{});
  addWebhooksOptions(desc);
  addPipeOptions(desc);
  addLogdOptions(desc);
  addApiOptions(desc);
  addDkimOptions(desc);
  addDnsOptions(desc);
  addLogOptions(desc);
  return desc;
}

Result<std::shared_ptr<const Config>> buildConfig(const po::variables_map& vm, std::string source_file) {
  auto config = std::make_shared<Config>();
  config->source_file = std::move(source_file);
  for (const Status& section : {buildDatabase(vm, config->database), buildTracking(vm, config->tracking),
                                buildMilter(vm, config->milter), buildPolicyd(vm, config->policyd),
                                buildTrackd(vm, config->trackd), buildWebhooks(vm, config->webhooks),
                                buildPipe(vm, config->pipe), buildLogd(vm, config->logd), buildApi(vm, config->api), buildDkim(vm, config->dkim),
                                buildDns(vm, config->dns), buildLog(vm, config->log)})
    if (!section) return makeError(section.error());
  return std::shared_ptr<const Config>(std::move(config));
}

ConfigParser::ConfigParser(std::string program, std::string summary)
    : program_(std::move(program)), summary_(std::move(summary)) {}

namespace {

// The [sections] each program reads, so its --help lists only the keys that matter to it; a
// program not named here (the operator's command) reads them all.
std::vector<std::string> sectionsReadBy(const std::string& program) {
  static const std::map<std::string, std::vector<std::string>> table = {
      {"waybill-milter", {"database", "tracking", "milter", "dkim", "pipe", "log"}},
      {"waybill-policyd", {"database", "policyd", "log"}},
      {"waybill-trackd", {"database", "tracking", "trackd", "log"}},
      {"waybill-webhookd", {"database", "webhooks", "log"}},
      {"waybill-logd", {"database", "logd", "log"}},
      {"waybill-apid", {"database", "tracking", "api", "log"}},
      {"waybill-piped", {"database", "tracking", "pipe", "policyd", "log"}},
      {"waybill-pipe", {"database", "tracking", "pipe", "policyd", "log"}},
  };
  auto it = table.find(program);
  return it == table.end() ? std::vector<std::string>{} : it->second;
}

po::options_description helpOptions(const std::string& program) {
  const auto sections = sectionsReadBy(program);
  const po::options_description all = sharedOptions();
  if (sections.empty()) return all;
  po::options_description some("Configuration (file [section] key, or --section.key on the command line)");
  for (const auto& option : all.options()) {
    const std::string& name = option->long_name();
    const std::string section = name.substr(0, name.find('.'));
    if (std::find(sections.begin(), sections.end(), section) != sections.end()) some.add(option);
  }
  return some;
}

}  // namespace

std::string ConfigParser::helpText() const {
  po::options_description generic("Generic options");
  generic.add_options()("help,h", "show this help and exit")("version", "show the version and exit")(
      "config,c", po::value<std::string>(), "configuration file (default /etc/waybill/waybill.conf)");
  std::ostringstream out;
  out << "Usage: " << program_ << " [options]\n" << summary_ << "\n\n" << generic;
  if (!program_options_.options().empty()) out << "\n" << program_options_;
  out << "\n" << helpOptions(program_);
  return out.str();
}

Result<ParsedCommandLine> ConfigParser::parse(int argc, const char* const argv[]) const {
  po::options_description all;
  all.add_options()("help,h", "")("version", "")("config,c", po::value<std::string>(), "");
  all.add(program_options_).add(sharedOptions());

  ParsedCommandLine parsed;
  po::variables_map& vm = parsed.program_values;
  try {
    // Command line first: Program_options keeps the first value stored, so it wins over the file.
    // A mistake there is a usage error (64), told in one line; the file's are configuration errors.
    try {
      po::store(po::command_line_parser(argc, argv).options(all).positional(positional_).run(), vm);
    } catch (const po::error& e) {
      fmt::print(stderr, "{}: {} (see {} --help)\n", program_, e.what(), program_);
      parsed.exit_now = true;
      parsed.exit_code = kUsageExitStatus;
      return parsed;
    }
    if (vm.count("help")) {
      fmt::print("{}", helpText());
      parsed.exit_now = true;
      return parsed;
    }
    if (vm.count("version")) {
      fmt::print("{} {}\n", program_, WAYBILL_VERSION);
      parsed.exit_now = true;
      return parsed;
    }
    const bool explicit_file = vm.count("config") > 0;
    const std::string file = explicit_file ? vm["config"].as<std::string>() : kDefaultConfigFile;
    std::string source;
    std::ifstream in(file);
    if (in) {
      po::store(po::parse_config_file(in, sharedOptions(), /*allow_unregistered=*/false), vm);
      source = file;
    } else if (explicit_file) {
      return makeError(fmt::format("option 'config': cannot read '{}': {}", file, std::strerror(errno)));
    }
    po::notify(vm);
    auto config = buildConfig(vm, source);
    if (!config) return makeError(config.error());
    parsed.config = std::move(*config);
    return parsed;
  } catch (const po::error& e) {
    return makeError(fmt::format("configuration: {}", e.what()));
  }
}

Result<std::shared_ptr<const Config>> ConfigParser::parseText(const std::string& ini_text) const {
  po::variables_map vm;
  try {
    std::istringstream in(ini_text);
    po::store(po::parse_config_file(in, sharedOptions(), false), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return makeError(fmt::format("configuration: {}", e.what()));
  }
  return buildConfig(vm, "");
}

}  // namespace waybill
