// IpNetworks: a list of IPv4/IPv6 networks in CIDR notation ("127.0.0.0/8, ::1/128", Postfix's
// mynetworks style, brackets around IPv6 allowed) and the question "is this client address in
// one of them?". The milter uses it for milter.trusted_networks: like OpenDKIM's InternalHosts,
// only mail from those networks (or authenticated, or local submission) is treated as outbound.
//
//   auto trusted = IpNetworks::parse("127.0.0.0/8, 10.0.0.0/8");
//   if (trusted && trusted->contains("10.1.2.3")) ...
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace waybill {

class IpNetworks {
 public:
  // Blank- or comma-separated networks; a bare address is a /32 (/128). Errors name the entry.
  static Result<IpNetworks> parse(std::string_view list);
  // False for anything that is not an IP address (a Postfix "unknown" client, an empty macro).
  // Accepts the "IPv6:" prefix Postfix may put in front of IPv6 client addresses.
  bool contains(std::string_view address) const;
  bool empty() const { return networks_.empty(); }

 private:
  struct Network {
    bool v6 = false;
    std::array<std::uint8_t, 16> bytes{};
    int prefix = 0;
  };
  std::vector<Network> networks_;
};

}  // namespace waybill
