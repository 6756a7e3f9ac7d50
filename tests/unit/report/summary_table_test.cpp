#include "report/summary_table.h"

#include <gtest/gtest.h>

namespace waybill::report {
namespace {

ReportData sample() {
  ReportData data;
  data.since = "2026-03-01";
  data.until = "2026-03-31";
  SenderTotals a{"a@s.test", 200, 180, 10, 8, 4, 90, 30, 20, 5, 2, 1, 3};
  SenderTotals b{"b@other.test", 100, 100, 0, 0, 0, 10, 0, 1, 0, 0, 0, 0};
  data.senders = {a, b};
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
  EXPECT_NE(text.find("2026-03-01 to 2026-03-31"), std::string::npos);
  EXPECT_NE(text.find("a@s.test"), std::string::npos);
  EXPECT_NE(text.find("b@other.test"), std::string::npos);
  // The "all" row sums both senders: 300 accepted, 280 delivered.
  EXPECT_NE(text.find("\nall "), std::string::npos) << text;
  EXPECT_NE(text.find(" 300 "), std::string::npos) << text;
  EXPECT_NE(text.find("delivered 93.3% of accepted"), std::string::npos) << text;
  EXPECT_NE(text.find("bounced 4.0%"), std::string::npos) << text;
  EXPECT_NE(text.find("human opens 35.7% of delivered"), std::string::npos) << text;
  EXPECT_NE(text.find("userunknown   hard        8\n"), std::string::npos) << text;
}

TEST(SummaryTableTest, SaysSoWhenThereIsNothing) {
  ReportData empty;
  EXPECT_NE(formatSummary(empty).find("no events in this period"), std::string::npos);
  EXPECT_EQ(percentOf(1, 0), "-");
}

}  // namespace
}  // namespace waybill::report
