#include "report/retention.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <optional>
#include <string>

namespace waybill::report {
namespace {

// "YYYY-MM-DD", or "none": one comparison that shows the whole date when it fails.
std::string spelled(const std::optional<CalendarDate>& date) {
  if (!date) return "none";
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02d-%02d", date->year, date->month, date->day);
  return text;
}

TEST(RetentionTest, ParsesCountAndUnit) {
  const std::pair<const char*, const char*> cases[] = {
      {"13months", "13 months"}, {"13 months", "13 months"}, {"1month", "1 months"},
      {"400days", "400 days"},   {"8weeks", "8 weeks"},      {"2years", "2 years"}};
  for (const auto& [input, expected] : cases) {
    auto parsed = parseRetention(input);
    ASSERT_TRUE(parsed) << input << ": " << parsed.error();
    EXPECT_EQ(*parsed, expected) << input;
  }
}

TEST(RetentionTest, RejectsWhatIsNotARetention) {
  for (const char* input : {"", "13", "months", "0months", "-1months", "13ms", "13 fortnights", "13months; DROP"}) {
    EXPECT_FALSE(parseRetention(input)) << input;
  }
}

TEST(RetentionTest, PartitionEndIsTheFirstDayOfTheNextMonth) {
  EXPECT_EQ(spelled(partitionEnd("events_p2025_09")), "2025-10-01");
  EXPECT_EQ(spelled(partitionEnd("events_p2025_12")), "2026-01-01");
  for (const char* other : {"events_default", "events_p2025_13", "events_p2025_9", "events_p2025x09", "messages"})
    EXPECT_FALSE(partitionEnd(other)) << other;
}

TEST(RetentionTest, PicksOnlyMonthsWhollyBeforeTheCutoff) {
  const std::vector<std::string> names = {"events_p2025_08", "events_p2025_09", "events_p2025_10",
                                          "events_default", "events_p2025_11"};
  // Cutoff 2025-10-01: September ends exactly then, so all of it is older; October is not.
  EXPECT_EQ(partitionsBefore(names, {2025, 10, 1}), (std::vector<std::string>{"events_p2025_08", "events_p2025_09"}));
  EXPECT_EQ(partitionsBefore(names, {2025, 9, 30}), (std::vector<std::string>{"events_p2025_08"}));
  EXPECT_TRUE(partitionsBefore(names, {2025, 8, 31}).empty());
}

TEST(RetentionTest, ParsesDatesAndTimestamps) {
  EXPECT_EQ(spelled(parseDate("2025-10-22 04:00:00+00")), "2025-10-22");
  EXPECT_FALSE(parseDate("2025/10/22"));
  EXPECT_FALSE(parseDate("2025-13-01"));
  EXPECT_FALSE(parseDate("yesterday"));
}

}  // namespace
}  // namespace waybill::report
