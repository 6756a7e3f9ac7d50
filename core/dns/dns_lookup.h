// DnsLookup: the one question `waybill dns check` asks of DNS ("the records of this type at this
// name"), as an interface so the judges in dns_checks.h stay pure and are tested with a table of
// answers; cli/dns_resolver.h answers it through the system's resolver library.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.h"

namespace waybill::dns {

enum class RecordType { A, Aaaa, Mx, Txt };

std::string_view typeName(RecordType type);

// A DNS server to ask, "ADDR[:PORT]" (dns.resolver, --resolver): an IPv4 address and a port
// 1-65535 (53 when omitted); the error says which part is wrong.
Result<std::pair<std::string, int>> parseServerAddress(const std::string& text);

struct LookupAnswer {
  enum class Status {
    Found,      // values holds the records
    NoRecords,  // the name does not exist, or has no record of this type
    Failed,     // no answer (timeout, SERVFAIL, refused): the record's state is unknown
  };
  Status status = Status::NoRecords;
  // A/AAAA: the address as text; MX: "PREFERENCE TARGET" (target without the final dot);
  // TXT: the record's character-strings joined without separators, as SPF, DKIM and DMARC read them.
  std::vector<std::string> values;
  std::string error;  // why it failed, for Failed
};

class DnsLookup {
 public:
  virtual ~DnsLookup() = default;
  virtual LookupAnswer query(std::string_view name, RecordType type) = 0;
};

}  // namespace waybill::dns
