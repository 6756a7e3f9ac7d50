#include "report/summary_table.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

namespace waybill::report {
namespace {

// Every one of `parts` somewhere in `text`.
void expectContains(const std::string& text, std::initializer_list<const char*> parts) {
  for (const char* part : parts) EXPECT_NE(text.find(part), std::string::npos) << "'" << part << "' in:\n" << text;
}

// A report on March 2026, with nothing in it yet.
ReportData march() {
  ReportData data;
  data.since = "2026-03-01";
  data.until = "2026-03-31";
  return data;
}

ReportData sample() {
  ReportData data = march();
  data.senders = {{"a@s.test", 200, 180, 10, 8, 4, 90, 30, 20, 5, 2, 1, 3},
                  {"b@other.test", 100, 100, 0, 0, 0, 10, 0, 1, 0, 0, 0, 0}};
  data.bounce_reasons = {{"userunknown", "hard", 8}, {"mailboxfull", "soft", 4}};
  return data;
}

TEST(SummaryTableTest, AlignsColumnsUnderTheHeader) {
  const std::string table = formatTable({"name", "count"}, {{"a", "1"}, {"longer", "12345"}});
  EXPECT_EQ(table,
            "name    count\n"
            "-------------\n"
            "a           1\n"
            "longer  12345\n");
}

TEST(SummaryTableTest, CountsUtf8CodePointsNotBytes) {
  const std::string table = formatTable({"x", "n"}, {{"zoë", "1"}, {"abc", "2"}});
  EXPECT_NE(table.find("zoë  1\n"), std::string::npos) << table;
  EXPECT_NE(table.find("abc  2\n"), std::string::npos) << table;
}

TEST(SummaryTableTest, ShowsEachSenderTheirSumRatesAndReasons) {
  const std::string text = formatSummary(sample());
  expectContains(text, {"2026-03-01 to 2026-03-31", "a@s.test", "b@other.test"});
  // The "all" row sums both senders: 300 accepted, 280 delivered.
  expectContains(text, {"\nall ", " 300 ", "delivered 93.3% of accepted", "bounced 4.0%",
                        "human opens 35.7% of delivered", "userunknown   hard        8\n"});
}

TEST(SummaryTableTest, SaysSoWhenThereIsNothing) {
  ReportData empty;
  EXPECT_NE(formatSummary(empty).find("no events in this period"), std::string::npos);
  EXPECT_EQ(percentOf(1, 0), "-");
}

TEST(SummaryTableTest, DeliveryRateDeferralsAndTimeToDelivery) {
  ReportData data = sample();
  data.delivery_times = {280, 1.25, 95};
  data.deferral_replies = {{"mail.example", "450 4.2.0 Greylisted, try again later", 12}};
  const std::string text = formatSummary(data);
  expectContains(text, {"deferred at least once 3.3%", "time to delivery: p50 1.2 s, p95 1 min 35 s (280 delivered)",
                        "Top deferral replies per receiving domain",
                        "mail.example        12  450 4.2.0 Greylisted, try again later"});
}

TEST(SummaryTableTest, NoDeliveryDataIsSaidPlainlyNotZeroPercent) {
  ReportData data = march();
  data.senders = {SenderTotals{"a@s.test", 10, 0, 0, 1, 0, 2, 0, 0, 0, 0, 0, 0}};
  const std::string text = formatSummary(data);
  EXPECT_NE(text.find("no delivery data yet"), std::string::npos) << text;
  EXPECT_EQ(text.find("delivered 0.0%"), std::string::npos) << text;
  EXPECT_EQ(formatDuration(7325), "2 h 2 min");
}

}  // namespace
}  // namespace waybill::report
