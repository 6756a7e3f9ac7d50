#include "report/html_report.h"

#include <fmt/format.h>

#include <algorithm>


namespace waybill::report {
namespace {

constexpr const char* kStyle = R"CSS(
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:72rem;color:#1d2733;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.1rem;margin-top:2rem}
p.meta{color:#5a6675;margin-top:0}
section{border:1px solid #d8dee6;border-radius:6px;padding:1rem;margin:1rem 0;overflow-x:auto}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:.85rem}
th,td{padding:.25rem .45rem;border-bottom:1px solid #e3e7ec;text-align:right}
th{vertical-align:bottom;font-weight:600}
th:first-child,td:first-child{text-align:left}
svg text{font-family:inherit;font-size:12px;fill:#1d2733}
.legend span{display:inline-block;margin-right:1rem}
.legend i{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:middle}
)CSS";

// The daily chart's series: colour, label, value.
struct Series {
  const char* colour;
  const char* label;
  std::int64_t DayVolume::*value;
};
constexpr Series kDailySeries[] = {{"#4a78c2", "accepted", &DayVolume::accepted},
                                   {"#3a9a5b", "delivered", &DayVolume::delivered},
                                   {"#d9822b", "opened (human)", &DayVolume::opened_human},
                                   {"#8e5cc2", "clicked (human)", &DayVolume::clicked_human},
                                   {"#c8453b", "bounced", &DayVolume::bounced}};


double scaled(std::int64_t value, std::int64_t max, double length) {
  return max <= 0 ? 0.0 : length * static_cast<double>(value) / static_cast<double>(max);
}

std::string horizontalBar(double y, const std::string& label, std::int64_t value, std::int64_t max,
                          const std::string& note, const char* colour) {
  const double width = std::max(1.0, scaled(value, max, 420.0));
  return fmt::format(
      "<text x=\"0\" y=\"{:.1f}\">{}</text>"
      "<rect x=\"160\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"22\" fill=\"{}\"><title>{}: {}</title></rect>"
      "<text x=\"{:.1f}\" y=\"{:.1f}\">{} {}</text>",
      y + 15, escapeHtml(label), y, width, colour, escapeHtml(label), value, 166 + width, y + 15, value,
      escapeHtml(note));
}

std::string legend() {
  std::string out = "<p class=\"legend\">";
  for (const auto& s : kDailySeries) out += fmt::format("<span><i style=\"background:{}\"></i>{}</span>", s.colour, s.label);
  return out + "</p>";
}

// A long address may wrap after its '@' (never inside a word), so the table fits its section.
std::string senderCell(const std::string& sender) {
  const std::size_t at = sender.find('@');
  if (at == std::string::npos) return escapeHtml(sender);
  return escapeHtml(sender.substr(0, at + 1)) + "<wbr>" + escapeHtml(sender.substr(at + 1));
}

std::string totalsTable(const ReportData& data) {
  std::string out =
      // Two-line headers keep the thirteen columns within a 1280 px window.
      "<table id=\"totals\"><thead><tr><th>sender</th><th>accepted</th><th>delivered</th><th>deferred</th>"
      "<th>bounced<br>hard</th><th>bounced<br>soft</th><th>opens</th><th>opens<br>(machine)</th><th>clicks</th>"
      "<th>clicks<br>(machine)</th><th>unsubscribed</th><th>complaints</th><th>suppressed</th>"
      "</tr></thead><tbody>";
  std::vector<SenderTotals> rows = data.senders;
  if (rows.size() > 1) rows.push_back(sumTotals(data.senders));
  for (const auto& t : rows) {
    out += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
        "<td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        senderCell(t.sender), t.accepted, t.delivered, t.deferred, t.bounced_hard, t.bounced_soft, t.opened_human,
        t.opened_machine, t.clicked_human, t.clicked_machine, t.unsubscribed, t.complained, t.suppressed);
  }
  return out + "</tbody></table>";
}

}  // namespace

std::string funnelChartSvg(const SenderTotals& all) {
  const std::int64_t bounced = all.bounced_hard + all.bounced_soft;
  const std::int64_t max = std::max({all.accepted, all.delivered, all.opened_human, all.clicked_human, bounced});
  std::string bars;
  bars += horizontalBar(0, "Accepted", all.accepted, max, "", "#4a78c2");
  bars += horizontalBar(32, "Delivered", all.delivered, max,
                        hasDeliveryData(all) ? "(" + percentOf(all.delivered, all.accepted) + ")" : "(no delivery data yet)",
                        "#3a9a5b");
  bars += horizontalBar(64, "Opened (human)", all.opened_human, max, "(" + percentOf(all.opened_human, all.delivered) + " of delivered)", "#d9822b");
  bars += horizontalBar(96, "Clicked (human)", all.clicked_human, max, "(" + percentOf(all.clicked_human, all.delivered) + " of delivered)", "#8e5cc2");
  bars += horizontalBar(128, "Bounced", bounced, max, "(" + percentOf(bounced, all.accepted) + ")", "#c8453b");
  return "<svg id=\"funnel-chart\" role=\"img\" aria-label=\"Delivery funnel\" viewBox=\"0 0 720 156\" width=\"720\" "
         "height=\"156\" xmlns=\"http://www.w3.org/2000/svg\">" + bars + "</svg>";
}

// Grouped bars, one group per day and one bar per series, every day labelled (rotated when many):
// bars stay readable when series have equal values, where overlapping lines hid each other.
std::string dailyVolumeChartSvg(const std::vector<DayVolume>& days) {
  constexpr double kLeft = 56, kTop = 10, kWidth = 650, kHeight = 220;
  std::int64_t max = 0;
  for (const auto& d : days)
    for (const auto& s : kDailySeries) max = std::max(max, d.*s.value);
  std::string out = fmt::format(
      "<svg id=\"daily-chart\" role=\"img\" aria-label=\"Daily volumes\" viewBox=\"0 0 720 290\" width=\"720\" height=\"290\" "
      "xmlns=\"http://www.w3.org/2000/svg\"><line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#8a96a3\"/>"
      "<line x1=\"{0}\" y1=\"{2}\" x2=\"{3}\" y2=\"{2}\" stroke=\"#8a96a3\"/>"
      "<text x=\"{4}\" y=\"{5}\" text-anchor=\"end\">{6}</text><text x=\"{4}\" y=\"{2}\" text-anchor=\"end\">0</text>",
      kLeft, kTop, kTop + kHeight, kLeft + kWidth, kLeft - 6, kTop + 10, max);
  if (days.empty()) return out + fmt::format("<text x=\"{}\" y=\"120\">no events</text></svg>", kLeft + 20);
  const double group = kWidth / static_cast<double>(days.size());
  const double bar = group * 0.8 / static_cast<double>(std::size(kDailySeries));
  const bool rotate = days.size() > 10;
  for (std::size_t i = 0; i < days.size(); ++i) {
    const double x0 = kLeft + group * static_cast<double>(i) + group * 0.1;
    for (std::size_t k = 0; k < std::size(kDailySeries); ++k) {
      const auto& series = kDailySeries[k];
      const std::int64_t value = days[i].*series.value;
      const double height = scaled(value, max, kHeight);
      out += fmt::format("<rect class=\"bar\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\">"
                         "<title>{} {}: {}</title></rect>",
                         x0 + bar * static_cast<double>(k), kTop + kHeight - height, std::max(bar - 0.5, 0.5), height,
                         series.colour, escapeHtml(days[i].day), series.label, value);
    }
    // Every day gets its label: MM-DD (the period above names the year), rotated when there are many.
    const double cx = kLeft + group * (static_cast<double>(i) + 0.5);
    const std::string label = days[i].day.size() == 10 ? days[i].day.substr(5) : days[i].day;
    if (rotate)
      out += fmt::format("<text class=\"day\" x=\"{0:.1f}\" y=\"{1}\" text-anchor=\"end\" font-size=\"10\" "
                         "transform=\"rotate(-60 {0:.1f} {1})\">{2}</text>",
                         cx, kTop + kHeight + 12, escapeHtml(label));
    else
      out += fmt::format("<text class=\"day\" x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>", cx,
                         kTop + kHeight + 18, escapeHtml(label));
  }
  return out + "</svg>";
}

std::string bounceReasonChartSvg(const std::vector<BounceReason>& reasons) {
  const std::size_t shown = std::min<std::size_t>(reasons.size(), 12);
  std::int64_t max = 0;
  for (std::size_t i = 0; i < shown; ++i) max = std::max(max, reasons[i].bounces);
  const int height = static_cast<int>(std::max<std::size_t>(shown, 1) * 32);
  std::string out = fmt::format(
      "<svg id=\"bounce-chart\" role=\"img\" aria-label=\"Bounce reasons\" viewBox=\"0 0 720 {0}\" width=\"720\" "
      "height=\"{0}\" xmlns=\"http://www.w3.org/2000/svg\">", height);
  if (shown == 0) return out + "<text x=\"0\" y=\"18\">no bounces</text></svg>";
  for (std::size_t i = 0; i < shown; ++i) {
    const auto& r = reasons[i];
    out += horizontalBar(32.0 * static_cast<double>(i), r.reason, r.bounces, max, r.bounce_class,
                         r.bounce_class == "hard" ? "#c8453b" : "#e0a33a");
  }
  return out + "</svg>";
}

std::string renderHtml(const ReportData& data) {
  const SenderTotals all = sumTotals(data.senders);
  const std::string scope = data.sender_filter.empty() ? "all senders" : data.sender_filter;
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><link rel=\"icon\" href=\"data:,\">"
      "<title>{0}</title><style>{1}</style></head><body>"
      "<h1>{0}</h1><p class=\"meta\">{2} · {3} to {4} (UTC, end exclusive) · generated {5}</p>"
      "<section><h2>Delivery funnel</h2>{6}</section>"
      "<section><h2>Daily volumes</h2>{7}{8}</section>"
      "<section><h2>Bounce reasons</h2>{9}</section>"
      "<section><h2>Totals</h2>{10}<p class=\"meta\">Opens and clicks count unique message copies; machine "
      "opens and clicks (privacy proxies, prefetchers, link scanners) are counted apart.</p></section>"
      "</body></html>\n",
      escapeHtml(data.title), kStyle, escapeHtml(scope), escapeHtml(data.since), escapeHtml(data.until),
      escapeHtml(data.generated_at), funnelChartSvg(all), legend(), dailyVolumeChartSvg(data.days),
      bounceReasonChartSvg(data.bounce_reasons), totalsTable(data));
}

}  // namespace waybill::report
