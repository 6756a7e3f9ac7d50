// Retention of `events` partitions: parses the operator's `--older-than 13months` into a
// PostgreSQL interval and picks the monthly partitions (events_pYYYY_MM) that lie wholly before
// the cutoff, so `waybill db prune` drops whole months and never a partially kept one.
//
//   auto interval = report::parseRetention("13months");  // "13 months"
//   auto doomed = report::partitionsBefore(names, {2025, 10, 22});
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace waybill::report {

// "13months", "13 months", "400days", "8weeks", "2years" (singular too) -> "13 months" etc.
Result<std::string> parseRetention(std::string_view text);

struct CalendarDate {
  int year = 0;
  int month = 0;  // 1..12
  int day = 0;    // 1..31
};

// "2025-10-22" (or a longer timestamp starting so) -> date; nullopt when malformed.
std::optional<CalendarDate> parseDate(std::string_view text);

// events_p2025_09 -> the first day of the month after it (2025-10-01); nullopt for other names
// (events_default and anything else are never pruned by name).
std::optional<CalendarDate> partitionEnd(std::string_view name);

// The partitions whose month ends on or before cutoff (all their rows are older), in input order.
std::vector<std::string> partitionsBefore(const std::vector<std::string>& names, CalendarDate cutoff);

}  // namespace waybill::report
