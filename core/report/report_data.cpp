#include "report/report_data.h"

#include <fmt/format.h>

namespace waybill::report {

SenderTotals sumTotals(const std::vector<SenderTotals>& senders) {
  SenderTotals all;
  all.sender = "all";
  for (const auto& s : senders)
    for (const auto count : kSenderCounts) all.*count += s.*count;
  return all;
}

std::string percentOf(std::int64_t part, std::int64_t whole) {
  if (whole <= 0) return "-";
  return fmt::format("{:.1f}%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

bool hasDeliveryData(const SenderTotals& all) { return all.delivered > 0 || all.deferred > 0; }

std::string formatDuration(double seconds) {
  if (seconds < 60) return fmt::format("{:.1f} s", seconds);
  const auto whole = static_cast<std::int64_t>(seconds + 0.5);
  if (whole < 3600) return fmt::format("{} min {} s", whole / 60, whole % 60);
  return fmt::format("{} h {} min", whole / 3600, whole % 3600 / 60);
}

}  // namespace waybill::report
