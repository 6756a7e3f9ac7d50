#include "config/dns_options.h"

#include <fmt/format.h>

#include "dns/dns_lookup.h"
#include "mail/ip_network.h"
#include "text/ascii_text.h"

namespace po = boost::program_options;

namespace waybill {

void addDnsOptions(po::options_description& desc) {
  desc.add_options()
      ("dns.resolver", po::value<std::string>()->default_value(""), "DNS server `waybill dns check` asks, ADDR[:PORT] (default: /etc/resolv.conf's)")
      ("dns.sending_addresses", po::value<std::string>()->default_value(""), "IP addresses mail leaves from, which SPF must allow (comma-separated)");
}

Status buildDns(const po::variables_map& vm, DnsConfig& dns) {
  dns.resolver = vm["dns.resolver"].as<std::string>();
  if (!dns.resolver.empty()) {
    auto server = dns::parseServerAddress(dns.resolver);
    if (!server) return makeError(fmt::format("option 'dns.resolver': {}", server.error()));
  }
  dns.sending_addresses = splitList(vm["dns.sending_addresses"].as<std::string>());
  for (const auto& address : dns.sending_addresses) {
    auto network = IpNetworks::parse(address);
    if (!network || address.find('/') != std::string::npos)
      return makeError(fmt::format("option 'dns.sending_addresses': '{}' is not an IP address", address));
  }
  return {};
}

}  // namespace waybill
