#include "dns_resolver.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>

#include <fmt/format.h>

#include <array>
#include <optional>

namespace waybill::cli {
namespace {

int wireType(dns::RecordType type) {
  switch (type) {
    case dns::RecordType::A: return ns_t_a;
    case dns::RecordType::Aaaa: return ns_t_aaaa;
    case dns::RecordType::Mx: return ns_t_mx;
    case dns::RecordType::Txt: return ns_t_txt;
  }
  return ns_t_txt;
}

// One answer record's data as dns_lookup.h describes it; nullopt for a malformed record.
std::optional<std::string> recordText(const ns_msg& message, const ns_rr& rr, dns::RecordType type) {
  const unsigned char* data = ns_rr_rdata(rr);
  const std::size_t length = ns_rr_rdlen(rr);
  char text[INET6_ADDRSTRLEN];
  switch (type) {
    case dns::RecordType::A:
      if (length != 4 || !inet_ntop(AF_INET, data, text, sizeof text)) return std::nullopt;
      return std::string(text);
    case dns::RecordType::Aaaa:
      if (length != 16 || !inet_ntop(AF_INET6, data, text, sizeof text)) return std::nullopt;
      return std::string(text);
    case dns::RecordType::Mx: {
      char target[NS_MAXDNAME];
      if (length < 3 || ns_name_uncompress(ns_msg_base(message), ns_msg_end(message), data + 2, target, sizeof target) < 0)
        return std::nullopt;
      return fmt::format("{} {}", ns_get16(data), target[0] == '\0' ? "." : target);
    }
    case dns::RecordType::Txt: {
      std::string joined;
      for (std::size_t at = 0; at < length;) {
        const std::size_t piece = data[at];
        if (at + 1 + piece > length) return std::nullopt;
        joined.append(reinterpret_cast<const char*>(data + at + 1), piece);
        at += 1 + piece;
      }
      return joined;
    }
  }
  return std::nullopt;
}

}  // namespace

Result<std::unique_ptr<DnsResolver>> DnsResolver::open(const std::string& server) {
  std::unique_ptr<DnsResolver> resolver(new DnsResolver());
  if (res_ninit(&resolver->state_) != 0) return makeError("cannot initialise the resolver (/etc/resolv.conf)");
  // Absolute names only: no search list, no appended default domain.
  resolver->state_.options &= ~static_cast<unsigned long>(RES_DEFNAMES | RES_DNSRCH);
  resolver->state_.options |= RES_USE_EDNS0;  // DKIM rsa records pass 512 octets
  resolver->state_.retrans = 2;
  resolver->state_.retry = 2;
  if (server.empty()) return resolver;
  auto address = dns::parseServerAddress(server);
  if (!address) return makeError(address.error());
  sockaddr_in& target = resolver->state_.nsaddr_list[0];
  target = sockaddr_in{};
  target.sin_family = AF_INET;
  target.sin_port = htons(static_cast<std::uint16_t>(address->second));
  inet_pton(AF_INET, address->first.c_str(), &target.sin_addr);
  resolver->state_.nscount = 1;
  return resolver;
}

DnsResolver::~DnsResolver() { res_nclose(&state_); }

dns::LookupAnswer DnsResolver::query(std::string_view name, dns::RecordType type) {
  using Status = dns::LookupAnswer::Status;
  std::array<unsigned char, 65535> buffer{};
  const std::string absolute(name);
  const int length = res_nquery(&state_, absolute.c_str(), ns_c_in, wireType(type), buffer.data(), buffer.size());
  if (length < 0) {
    if (state_.res_h_errno == HOST_NOT_FOUND || state_.res_h_errno == NO_DATA) return {Status::NoRecords, {}, ""};
    return {Status::Failed, {}, fmt::format("{} {}: no answer from DNS ({})", dns::typeName(type), name, hstrerror(state_.res_h_errno))};
  }
  ns_msg message{};
  if (ns_initparse(buffer.data(), length, &message) != 0)
    return {Status::Failed, {}, fmt::format("{} {}: malformed answer", dns::typeName(type), name)};
  dns::LookupAnswer answer{Status::Found, {}, ""};
  for (int i = 0; i < ns_msg_count(message, ns_s_an); ++i) {
    ns_rr rr{};
    if (ns_parserr(&message, ns_s_an, i, &rr) != 0) break;
    if (ns_rr_type(rr) != wireType(type)) continue;  // the CNAME chain in front of the records asked for
    if (auto text = recordText(message, rr, type)) answer.values.push_back(std::move(*text));
  }
  if (answer.values.empty()) answer.status = Status::NoRecords;
  return answer;
}

}  // namespace waybill::cli
