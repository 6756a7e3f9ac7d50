// The [dkim] section: the OpenDKIM-format tables the milter signs with.
#pragma once

#include <boost/program_options.hpp>
#include <string>

#include "util/result.h"

namespace waybill {

struct DkimConfig {
  std::string key_table;      // OpenDKIM KeyTable format
  std::string signing_table;  // OpenDKIM SigningTable format
  std::string fallback_key;   // KeyTable name for senders no SigningTable rule matches; empty: none
  bool allow_unsigned = false;  // a key that cannot be used: send unsigned instead of tempfail
};

void addDkimOptions(boost::program_options::options_description& desc);
Status buildDkim(const boost::program_options::variables_map& vm, DkimConfig& dkim);

}  // namespace waybill
