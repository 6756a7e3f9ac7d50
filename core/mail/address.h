// Small helpers for RFC 5321/5322 addresses and header values used across the daemons.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

// toLower, equalsIgnoreCase and splitList live there; many callers of this header use them.
#include "text/ascii_text.h"

namespace waybill {

// "<User@Example.COM>" -> "User@Example.COM" (angle brackets and surrounding space removed).
std::string stripAngles(std::string_view address);
// The domain of an address, lower-cased; empty when there is none.
std::string domainOf(std::string_view address);
// The first addr-spec in a From/To header value: `"Ann" <ann@example.com>` -> ann@example.com.
std::string firstAddressInHeader(std::string_view value);

// A globally unique Message-ID in angle brackets, for the given domain.
std::string makeMessageId(std::string_view domain);
// RFC 5322 date-time in UTC, e.g. "Sun, 22 Nov 2026 04:20:31 +0000".
std::string formatRfc5322Date(std::chrono::system_clock::time_point when);

}  // namespace waybill
