#include "dns/dns_lookup.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <charconv>

namespace waybill::dns {

std::string_view typeName(RecordType type) {
  switch (type) {
    case RecordType::A: return "A";
    case RecordType::Aaaa: return "AAAA";
    case RecordType::Mx: return "MX";
    case RecordType::Txt: return "TXT";
  }
  return "?";
}

Result<std::pair<std::string, int>> parseServerAddress(const std::string& text) {
  const auto colon = text.find(':');
  const std::string address = text.substr(0, colon);
  in_addr parsed{};
  if (inet_pton(AF_INET, address.c_str(), &parsed) != 1) return makeError(fmt::format("'{}' is not an IPv4 address", address));
  int port = 53;
  if (colon != std::string::npos) {
    const std::string digits = text.substr(colon + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || port < 1 || port > 65535)
      return makeError(fmt::format("'{}' is not a port (1-65535)", digits));
  }
  return std::pair{address, port};
}

}  // namespace waybill::dns
