#include "report/retention.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cctype>
#include <tuple>

namespace waybill::report {
namespace {

std::optional<int> parseInt(std::string_view text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

bool before(CalendarDate a, CalendarDate b) {
  return std::tie(a.year, a.month, a.day) < std::tie(b.year, b.month, b.day);
}

}  // namespace

Result<std::string> parseRetention(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  const auto count = parseInt(text.substr(0, digits));
  std::string_view unit = text.substr(digits);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  if (unit.size() > 1 && unit.back() == 's') unit.remove_suffix(1);
  static constexpr std::array<std::string_view, 4> kUnits = {"day", "week", "month", "year"};
  const bool known_unit = std::find(kUnits.begin(), kUnits.end(), unit) != kUnits.end();
  if (!count || *count <= 0 || !known_unit)
    return makeError(fmt::format("'{}' is not a retention like 13months, 400days, 8weeks or 2years", text));
  return fmt::format("{} {}s", *count, unit);
}

std::optional<CalendarDate> parseDate(std::string_view text) {
  if (text.size() < 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  const auto year = parseInt(text.substr(0, 4));
  const auto month = parseInt(text.substr(5, 2));
  const auto day = parseInt(text.substr(8, 2));
  if (!year || !month || !day || *month < 1 || *month > 12 || *day < 1 || *day > 31) return std::nullopt;
  return CalendarDate{*year, *month, *day};
}

std::optional<CalendarDate> partitionEnd(std::string_view name) {
  constexpr std::string_view kPrefix = "events_p";
  if (name.size() != kPrefix.size() + 7 || name.substr(0, kPrefix.size()) != kPrefix || name[kPrefix.size() + 4] != '_')
    return std::nullopt;
  const auto year = parseInt(name.substr(kPrefix.size(), 4));
  const auto month = parseInt(name.substr(kPrefix.size() + 5, 2));
  if (!year || !month || *month < 1 || *month > 12) return std::nullopt;
  return *month == 12 ? CalendarDate{*year + 1, 1, 1} : CalendarDate{*year, *month + 1, 1};
}

std::vector<std::string> partitionsBefore(const std::vector<std::string>& names, CalendarDate cutoff) {
  std::vector<std::string> doomed;
  for (const auto& name : names) {
    const auto end = partitionEnd(name);
    if (end && !before(cutoff, *end)) doomed.push_back(name);
  }
  return doomed;
}

}  // namespace waybill::report
