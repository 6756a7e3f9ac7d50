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

std::string ratesLine(const SenderTotals& all, const DeliveryTimes& times) {
  const std::int64_t bounced = all.bounced_hard + all.bounced_soft;
  if (!hasDeliveryData(all))
    return fmt::format("delivery: no delivery data yet (waybill-logd records each attempt from Postfix's log) · "
                       "bounced {} of accepted\n", percentOf(bounced, all.accepted));
  std::string line = fmt::format(
      "delivered {} of accepted · deferred at least once {} · bounced {} · human opens {} of delivered · "
      "human clicks {} of delivered · complaints {} of delivered\n",
      percentOf(all.delivered, all.accepted), percentOf(all.deferred, all.accepted), percentOf(bounced, all.accepted),
      percentOf(all.opened_human, all.delivered), percentOf(all.clicked_human, all.delivered),
      percentOf(all.complained, all.delivered));
  if (times.delivered > 0)
    line += fmt::format("time to delivery: p50 {}, p95 {} ({} delivered)\n", formatDuration(times.p50_seconds),
                        formatDuration(times.p95_seconds), times.delivered);
  return line;
}

std::string deferralReplies(const std::vector<DeferralReply>& replies) {
  if (replies.empty()) return "";
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < replies.size() && i < 10; ++i) {
    std::string reply = replies[i].reply.size() > 90 ? replies[i].reply.substr(0, 87) + "..." : replies[i].reply;
    rows.push_back({replies[i].domain, std::to_string(replies[i].attempts), reply});
  }
  return "\nTop deferral replies per receiving domain\n" + formatTable({"domain", "attempts", "reply"}, rows);
}

std::string bounceReasons(const std::vector<BounceReason>& reasons) {
  if (reasons.empty()) return "";
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < reasons.size() && i < 10; ++i)
    rows.push_back({reasons[i].reason, reasons[i].bounce_class, std::to_string(reasons[i].bounces)});
  return "\nTop bounce reasons\n" + formatTable({"reason", "class", "bounces"}, rows);
}

std::string unattributedResults(const std::vector<UnattributedCount>& counts) {
  if (counts.empty()) return "";
  std::vector<std::vector<std::string>> rows;
  for (const UnattributedCount& c : counts) rows.push_back({c.why, std::to_string(c.results)});
  return "\nBounce-domain results not attributed to a recipient (they changed nothing)\n" +
         formatTable({"why", "results"}, rows);
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
  if (data.senders.empty()) return out + "no events in this period\n" + unattributedResults(data.unattributed);
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : data.senders) rows.push_back(totalsRow(s));
  const SenderTotals all = sumTotals(data.senders);
  if (data.senders.size() > 1) rows.push_back(totalsRow(all));
  out += formatTable({"sender", "accepted", "delivered", "deferred", "hard", "soft", "opens", "opens(m)", "clicks",
                      "clicks(m)", "unsub", "complaints", "suppressed"},
                     rows);
  out += "\n(hard/soft: bounces; opens/clicks: unique human message copies, (m): machine)\n";
  out += ratesLine(all, data.delivery_times);
  return out + deferralReplies(data.deferral_replies) + bounceReasons(data.bounce_reasons) +
         unattributedResults(data.unattributed);
}

}  // namespace waybill::report
