#include "report/summary_table.h"

#include <fmt/format.h>

#include <algorithm>

namespace waybill::report {
namespace {

std::size_t displayWidth(const std::string& text) {
  // Continuation bytes (10xxxxxx) do not start a code point.
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string pad(const std::string& text, std::size_t width, bool left) {
  const std::string fill(width - std::min(width, displayWidth(text)), ' ');
  return left ? text + fill : fill + text;
}

std::vector<std::string> totalsRow(const SenderTotals& t) {
  auto n = [](std::int64_t v) { return std::to_string(v); };
  return {t.sender,         n(t.accepted),       n(t.delivered),       n(t.deferred),     n(t.bounced_hard),
          n(t.bounced_soft), n(t.opened_human),  n(t.opened_machine),  n(t.clicked_human), n(t.clicked_machine),
          n(t.unsubscribed), n(t.complained),    n(t.suppressed)};
}

std::string ratesLine(const SenderTotals& all) {
  const std::int64_t bounced = all.bounced_hard + all.bounced_soft;
  return fmt::format(
      "delivered {} of accepted · bounced {} · human opens {} of delivered · human clicks {} of delivered · "
      "complaints {} of delivered\n",
      percentOf(all.delivered, all.accepted), percentOf(bounced, all.accepted),
      percentOf(all.opened_human, all.delivered), percentOf(all.clicked_human, all.delivered),
      percentOf(all.complained, all.delivered));
}

std::string bounceReasons(const std::vector<BounceReason>& reasons) {
  if (reasons.empty()) return "";
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < reasons.size() && i < 10; ++i)
    rows.push_back({reasons[i].reason, reasons[i].bounce_class, std::to_string(reasons[i].bounces)});
  return "\nTop bounce reasons\n" + formatTable({"reason", "class", "bounces"}, rows);
}

}  // namespace

std::string formatTable(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths(header.size(), 0);
  auto widen = [&](const std::vector<std::string>& row) {
    for (std::size_t c = 0; c < row.size() && c < widths.size(); ++c) widths[c] = std::max(widths[c], displayWidth(row[c]));
  };
  widen(header);
  for (const auto& row : rows) widen(row);
  auto line = [&](const std::vector<std::string>& row) {
    std::string out;
    for (std::size_t c = 0; c < widths.size(); ++c) {
      if (c > 0) out += "  ";
      out += pad(c < row.size() ? row[c] : "", widths[c], c == 0);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(header);
  std::size_t total = 0;
  for (std::size_t w : widths) total += w;
  out += std::string(total + 2 * (widths.size() - 1), '-') + "\n";
  for (const auto& row : rows) out += line(row);
  return out;
}

std::string formatSummary(const ReportData& data) {
  std::string out = fmt::format("{} · {} to {} (UTC, end exclusive) · sender {}\n\n", data.title, data.since,
                                data.until, data.sender_filter.empty() ? "all" : data.sender_filter);
  if (data.senders.empty()) return out + "no events in this period\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : data.senders) rows.push_back(totalsRow(s));
  const SenderTotals all = sumTotals(data.senders);
  if (data.senders.size() > 1) rows.push_back(totalsRow(all));
  out += formatTable({"sender", "accepted", "delivered", "deferred", "hard", "soft", "opens", "opens(m)", "clicks",
                      "clicks(m)", "unsub", "complaints", "suppressed"},
                     rows);
  out += "\n(hard/soft: bounces; opens/clicks: unique human message copies, (m): machine)\n";
  out += ratesLine(all);
  return out + bounceReasons(data.bounce_reasons);
}

}  // namespace waybill::report
