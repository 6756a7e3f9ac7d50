// SpfEvaluator: does a domain's SPF policy (RFC 7208) let a given address send? Enough of
// check_host() to answer for the records operators publish: ip4, ip6, a, mx, include, redirect
// and all, with the limit of 10 DNS-querying terms. exists and ptr (macros, reverse DNS) are not
// evaluated: a policy that reaches them is reported as undecided rather than guessed.
//
//   SpfEvaluator spf(lookup);
//   SpfResult r = spf.check("bounces.example.com", "192.0.2.7");
//   if (r.verdict == SpfResult::Verdict::Pass) ...
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "dns/dns_lookup.h"
#include "util/result.h"

namespace waybill::dns {

struct SpfResult {
  enum class Verdict { Pass, Fail, SoftFail, Neutral, None, PermError, TempError, Undecided };
  Verdict verdict = Verdict::None;
  std::string detail;  // the term that decided, or what went wrong
};

std::string_view verdictName(SpfResult::Verdict verdict);

// The SPF records among a name's TXT records ("v=spf1" followed by a space or the end).
std::vector<std::string> spfRecords(const std::vector<std::string>& txt);

class SpfEvaluator {
 public:
  explicit SpfEvaluator(DnsLookup& lookup) : lookup_(lookup) {}
  SpfResult check(const std::string& domain, const std::string& address);

 private:
  SpfResult evaluate(const std::string& domain, const std::string& address, int depth);
  SpfResult evaluateRecord(const std::string& domain, const std::string& record, const std::string& address, int depth);
  std::optional<SpfResult> countLookup();
  // a / mx mechanisms: does one of the host's addresses, within the CIDR prefix, equal address?
  Result<bool> hostMatches(const std::string& host, const std::string& address, const std::string& cidr);

  DnsLookup& lookup_;
  int lookups_ = 0;
};

}  // namespace waybill::dns
