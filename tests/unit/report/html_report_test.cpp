#include "report/html_report.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace waybill::report {
namespace {

ReportData sample() {
  ReportData data;
  data.title = "Report <March>";
  data.sender_filter = "a@s.test";
  data.since = "2026-03-01";
  data.until = "2026-03-03";
  data.senders = {{"a@s.test", 200, 180, 10, 8, 4, 90, 30, 20, 5, 2, 1, 3}};
  data.days = {{"2026-03-01", 120, 110, 6, 50, 10}, {"2026-03-02", 80, 70, 6, 40, 10}};
  data.bounce_reasons = {{"userunknown", "hard", 8}, {"<script>", "soft", 4}};
  return data;
}

int count(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

TEST(HtmlReportTest, IsOneSelfContainedPageWithThreeCharts) {
  const std::string html = renderHtml(sample());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(count(html, "<svg "), 3);
  for (const char* id : {"funnel-chart", "daily-chart", "bounce-chart"}) EXPECT_EQ(count(html, id), 1) << id;
  // Nothing fetched from elsewhere: no script, no stylesheet link, no remote URL.
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http://") , html.find("http://www.w3.org/2000/svg"));
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<link rel=\"stylesheet\""), std::string::npos);
}

TEST(HtmlReportTest, EscapesEveryTextFromTheDatabase) {
  const std::string html = renderHtml(sample());
  EXPECT_NE(html.find("Report &lt;March&gt;"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
  EXPECT_EQ(escapeHtml("a&b\"c'd"), "a&amp;b&quot;c&#39;d");
}

TEST(HtmlReportTest, FunnelBarsScaleToAccepted) {
  const std::string svg = funnelChartSvg({"all", 200, 100, 0, 0, 0, 50, 0, 0, 0, 0, 0, 0});
  EXPECT_NE(svg.find("width=\"420.0\""), std::string::npos) << svg;  // accepted: full length
  EXPECT_NE(svg.find("width=\"210.0\""), std::string::npos) << svg;  // delivered: half
  EXPECT_NE(svg.find("width=\"105.0\""), std::string::npos) << svg;  // opened: a quarter
  EXPECT_NE(svg.find("(50.0%)"), std::string::npos) << svg;
}

TEST(HtmlReportTest, DailyChartDrawsBarsPerSeriesAndLabelsEveryDay) {
  const auto days = sample().days;
  const std::string svg = dailyVolumeChartSvg(days);
  EXPECT_EQ(count(svg, "class=\"bar\""), 5 * static_cast<int>(days.size()));
  EXPECT_EQ(count(svg, "class=\"day\""), static_cast<int>(days.size()));
  // The busiest value (120 accepted on the first day) reaches the top of the plot area.
  EXPECT_NE(svg.find("y=\"10.0\" width="), std::string::npos) << svg;
  EXPECT_NE(svg.find("height=\"220.0\""), std::string::npos) << svg;
  // Many days: still every one labelled, rotated.
  std::vector<DayVolume> month;
  for (int d = 1; d <= 30; ++d) month.push_back({fmt::format("2026-04-{:02d}", d), d, d, d, d, d});
  const std::string long_svg = dailyVolumeChartSvg(month);
  EXPECT_EQ(count(long_svg, "class=\"day\""), 30);
  EXPECT_NE(long_svg.find(">04-30</text>"), std::string::npos);
  EXPECT_NE(long_svg.find("rotate(-60"), std::string::npos);
  EXPECT_NE(dailyVolumeChartSvg({}).find("no events"), std::string::npos);
  EXPECT_NE(bounceReasonChartSvg({}).find("no bounces"), std::string::npos);
}

TEST(HtmlReportTest, FunnelSaysSoWithoutDeliveryData) {
  const std::string svg = funnelChartSvg({"all", 200, 0, 0, 5, 0, 50, 0, 0, 0, 0, 0, 0});  // 5 bounced: 2.5%
  EXPECT_NE(svg.find("(no delivery data yet)"), std::string::npos) << svg;
  EXPECT_EQ(svg.find("(0.0%)"), std::string::npos) << svg;
}

}  // namespace
}  // namespace waybill::report
