// DnsResolver: dns::DnsLookup through the C library's resolver (libresolv), asking the servers
// of /etc/resolv.conf or one chosen server (dns.resolver / --resolver ADDR[:PORT], IPv4), with
// no search domains: every name asked is absolute.
#pragma once

#include <resolv.h>

#include <memory>
#include <string>

#include "dns/dns_lookup.h"
#include "util/result.h"

namespace waybill::cli {

class DnsResolver : public dns::DnsLookup {
 public:
  // server: "" for the system's, else "ADDR" or "ADDR:PORT" (port 53 by default).
  static Result<std::unique_ptr<DnsResolver>> open(const std::string& server);
  ~DnsResolver() override;
  DnsResolver(const DnsResolver&) = delete;
  DnsResolver& operator=(const DnsResolver&) = delete;

  dns::LookupAnswer query(std::string_view name, dns::RecordType type) override;

 private:
  DnsResolver() = default;
  struct __res_state state_ {};
};

}  // namespace waybill::cli
