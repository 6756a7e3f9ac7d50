// QuotaRule: one configured sending limit, "SUBJECT:MATCH LIMIT/WINDOW" (policyd.quota lines),
// e.g. "sasl:* 100/hour" (every SASL user, each on its own) or "domain:example.com 5000/day".
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.h"

namespace waybill::policy {

struct QuotaRule {
  enum class Subject { SaslUser, SenderDomain };
  Subject subject = Subject::SenderDomain;
  std::string match;  // a user name or domain (lower-case), or "*" for each one separately
  std::uint64_t limit = 0;
  std::chrono::seconds window{60};

  bool appliesTo(std::string_view value) const;
  std::string describe() const;  // "100 messages per hour for each SASL user"
};

// "sasl:alice 100/hour", "domain:example.com 5000/day", "domain:* 10/minute", "sasl:* 3/10s".
Result<QuotaRule> parseQuotaRule(std::string_view text);

}  // namespace waybill::policy
