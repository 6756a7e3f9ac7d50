#include "policy/send_at.h"

#include <fmt/format.h>

#include <charconv>

namespace waybill::policy {
namespace {

constexpr int kLatestYear = 2261;

bool number(std::string_view text, std::size_t at, std::size_t digits, int& out) {
  if (at + digits > text.size()) return false;
  const char* begin = text.data() + at;
  auto [end, ec] = std::from_chars(begin, begin + digits, out);
  return ec == std::errc() && end == begin + digits;
}

bool separator(std::string_view text, std::size_t at, std::string_view allowed) {
  return at < text.size() && allowed.find(text[at]) != std::string_view::npos;
}

}  // namespace

Result<std::chrono::system_clock::time_point> parseSendAt(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' || text.back() == '\n'))
    text.remove_suffix(1);
  const auto bad = [&] { return makeError(fmt::format("'{}' is not an RFC 3339 time like 2026-12-01T09:00:00Z", text)); };
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!number(text, 0, 4, year) || !separator(text, 4, "-") || !number(text, 5, 2, month) ||
      !separator(text, 7, "-") || !number(text, 8, 2, day) || !separator(text, 10, "Tt ") ||
      !number(text, 11, 2, hour) || !separator(text, 13, ":") || !number(text, 14, 2, minute) ||
      !separator(text, 16, ":") || !number(text, 17, 2, second))
    return bad();
  std::size_t at = 19;
  if (separator(text, at, ".")) {
    ++at;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') ++at;
  }
  int offset_minutes = 0;
  if (separator(text, at, "Zz") && at + 1 == text.size()) {
    // UTC
  } else if (separator(text, at, "+-") && at + 6 == text.size() && separator(text, at + 3, ":")) {
    int offset_hours = 0, offset_mins = 0;
    if (!number(text, at + 1, 2, offset_hours) || !number(text, at + 4, 2, offset_mins) || offset_hours > 23 ||
        offset_mins > 59)
      return bad();
    offset_minutes = (text[at] == '-' ? -1 : 1) * (offset_hours * 60 + offset_mins);
  } else {
    return bad();
  }
  // system_clock counts nanoseconds since 1970, which cannot hold a time after 2262 (or before 1678).
  if (year < 1970 || year > kLatestYear)
    return makeError(fmt::format("'{}' is outside the years 1970 to {}", text, kLatestYear));
  using namespace std::chrono;
  const year_month_day date{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                            std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) return bad();
  const auto local = sys_days(date) + hours(hour) + minutes(minute) + seconds(std::min(second, 59));
  return system_clock::time_point(local - minutes(offset_minutes));
}

}  // namespace waybill::policy
