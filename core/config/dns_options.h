// The [dns] section of `waybill dns check`: which server answers, and the addresses SPF must let send.
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <vector>

#include "util/result.h"

namespace waybill {

struct DnsConfig {
  std::string resolver;                        // ADDR[:PORT] (IPv4); empty: the servers of /etc/resolv.conf
  std::vector<std::string> sending_addresses;  // IP addresses outbound mail leaves from
};

void addDnsOptions(boost::program_options::options_description& desc);
Status buildDns(const boost::program_options::variables_map& vm, DnsConfig& dns);

}  // namespace waybill
