#include "config/dkim_options.h"

namespace po = boost::program_options;

namespace waybill {

void addDkimOptions(po::options_description& desc) {
  const DkimConfig d;
  desc.add_options()
      ("dkim.key_table", po::value<std::string>()->default_value(""), "OpenDKIM KeyTable file")
      ("dkim.signing_table", po::value<std::string>()->default_value(""), "OpenDKIM SigningTable file")
      ("dkim.fallback_key", po::value<std::string>()->default_value(""), "KeyTable name signing senders that no SigningTable rule matches")
      ("dkim.allow_unsigned", po::value<bool>()->default_value(d.allow_unsigned), "send unsigned when a key cannot be used (default: tempfail)");
}

Status buildDkim(const po::variables_map& vm, DkimConfig& dkim) {
  dkim.key_table = vm["dkim.key_table"].as<std::string>();
  dkim.signing_table = vm["dkim.signing_table"].as<std::string>();
  dkim.fallback_key = vm["dkim.fallback_key"].as<std::string>();
  dkim.allow_unsigned = vm["dkim.allow_unsigned"].as<bool>();
  return {};
}

}  // namespace waybill
