#include "mail/ip_network.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <iterator>
#include <optional>

#include <fmt/format.h>

namespace waybill {
namespace {

struct Address {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};
};

std::optional<Address> parseAddress(std::string_view text) {
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  if (text.size() > 5 && (text.substr(0, 5) == "IPv6:" || text.substr(0, 5) == "ipv6:")) text.remove_prefix(5);
  const std::string copy(text);
  Address address;
  if (inet_pton(AF_INET, copy.c_str(), address.bytes.data()) == 1) return address;
  if (inet_pton(AF_INET6, copy.c_str(), address.bytes.data()) != 1) return std::nullopt;
  // ::ffff:a.b.c.d (an IPv4 client on a dual-stack socket) is the IPv4 address.
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  if (std::equal(std::begin(kMapped), std::end(kMapped), address.bytes.begin())) {
    std::copy(address.bytes.begin() + 12, address.bytes.end(), address.bytes.begin());
    std::fill(address.bytes.begin() + 4, address.bytes.end(), 0);
    return address;
  }
  address.v6 = true;
  return address;
}

bool prefixMatches(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b, int prefix) {
  int byte = 0;
  for (; prefix >= 8; prefix -= 8, ++byte)
    if (a[static_cast<std::size_t>(byte)] != b[static_cast<std::size_t>(byte)]) return false;
  if (prefix == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xFF << (8 - prefix));
  return (a[static_cast<std::size_t>(byte)] & mask) == (b[static_cast<std::size_t>(byte)] & mask);
}

}  // namespace

Result<IpNetworks> IpNetworks::parse(std::string_view list) {
  IpNetworks networks;
  std::size_t at = 0;
  while (at < list.size()) {
    const std::size_t end = list.find_first_of(", \t", at);
    const std::string_view entry = list.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    at = end == std::string_view::npos ? list.size() : end + 1;
    if (entry.empty()) continue;
    const std::size_t slash = entry.rfind('/');
    auto address = parseAddress(entry.substr(0, slash));
    if (!address) return makeError(fmt::format("'{}' is not an IP address or CIDR network", entry));
    const int longest = address->v6 ? 128 : 32;
    int prefix = longest;
    if (slash != std::string_view::npos) {
      const std::string_view digits = entry.substr(slash + 1);
      auto parsed = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
      if (digits.empty() || parsed.ec != std::errc() || parsed.ptr != digits.data() + digits.size() || prefix < 0 ||
          prefix > longest)
        return makeError(fmt::format("'{}': the prefix length must be 0 to {}", entry, longest));
    }
    networks.networks_.push_back({address->v6, address->bytes, prefix});
  }
  return networks;
}

bool IpNetworks::contains(std::string_view text) const {
  const auto address = parseAddress(text);
  if (!address) return false;
  for (const auto& network : networks_)
    if (network.v6 == address->v6 && prefixMatches(network.bytes, address->bytes, network.prefix)) return true;
  return false;
}

}  // namespace waybill
