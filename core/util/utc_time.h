// A moment written as UTC text by strftime's fields: one place for the time formats Waybill
// writes, RFC 3339 (X-Waybill-Send-At, policy answers) and RFC 5322 (Date headers).
//
//   formatUtcTime(std::time(nullptr), kRfc3339Utc);   // "2026-12-01T09:00:00Z"
#pragma once

#include <ctime>
#include <string>

namespace waybill {

inline constexpr const char* kRfc3339Utc = "%Y-%m-%dT%H:%M:%SZ";
// %a and %b are locale-dependent; Waybill never calls setlocale, so they are the C locale's.
inline constexpr const char* kRfc5322Utc = "%a, %d %b %Y %H:%M:%S +0000";

// `format`'s expansion must fit 63 characters (it does for the formats above).
std::string formatUtcTime(std::time_t when, const char* format);

}  // namespace waybill
