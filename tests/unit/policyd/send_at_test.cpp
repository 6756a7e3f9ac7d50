#include "policy/send_at.h"

#include <gtest/gtest.h>

using namespace waybill::policy;

namespace {

TEST(ParseSendAt, AcceptsRfc3339AndRejectsTheRest) {
  using namespace std::chrono;
  const auto utc = parseSendAt(" 2026-12-01T09:00:00Z\r\n");
  ASSERT_TRUE(utc);
  EXPECT_EQ(duration_cast<seconds>(utc->time_since_epoch()).count(), 1796115600);
  EXPECT_EQ(*parseSendAt("2026-12-01T10:30:00.250+01:30"), *utc);
  EXPECT_EQ(*parseSendAt("2026-12-01t04:00:00-05:00"), *utc);
  for (const char* bad : {"", "tomorrow", "2026-12-01", "2026-12-01T09:00:00", "2026-13-01T09:00:00Z",
                          "2026-02-30T09:00:00Z", "2026-12-01T25:00:00Z", "2026-12-01T09:00:00+0100",
                          "2026-12-01T09:00:00Zjunk", "Mon, 01 Dec 2026 09:00:00 +0000"})
    EXPECT_FALSE(parseSendAt(bad)) << bad;
}

TEST(ParseSendAt, RefusesYearsTheClockCannotHold) {
  // Nanoseconds since 1970 overflow in 2262: such a time must be refused, not wrapped round.
  for (const char* far : {"9999-12-31T23:59:59Z", "2262-04-12T00:00:00Z", "0001-01-01T00:00:00Z", "1969-12-31T23:59:59Z"}) {
    const auto parsed = parseSendAt(far);
    ASSERT_FALSE(parsed) << far;
    EXPECT_NE(parsed.error().find("outside the years"), std::string::npos) << parsed.error();
  }
  EXPECT_TRUE(parseSendAt("2261-12-31T23:59:59Z"));
  EXPECT_TRUE(parseSendAt("1970-01-01T00:00:00Z"));
}

}  // namespace
