// parseSendAt: the X-Waybill-Send-At control header, an RFC 3339 date-time such as
// "2026-12-01T09:00:00Z" or "2026-12-01T10:00:00.5+01:00" (fractions are dropped).
//
//   auto due = parseSendAt(" 2026-12-01T09:00:00Z ");
//   if (!due) reject(due.error());
#pragma once

#include <chrono>
#include <string_view>

#include "util/result.h"

namespace waybill::policy {

Result<std::chrono::system_clock::time_point> parseSendAt(std::string_view text);

}  // namespace waybill::policy
