#include "policy/quota_counter.h"

#include <gtest/gtest.h>

using namespace waybill::policy;
using namespace std::chrono_literals;

namespace {

struct FakeClock {
  std::chrono::steady_clock::time_point now{};
  QuotaCounter::Clock fn() {
    return [this] { return now; };
  }
};

QuotaRule rule(const char* text) {
  auto parsed = parseQuotaRule(text);
  EXPECT_TRUE(parsed) << (parsed ? "" : parsed.error());
  return *parsed;
}

TEST(QuotaRule, ParsesSubjectsLimitsAndWindows) {
  auto r = rule("sasl:* 100/hour");
  EXPECT_EQ(r.subject, QuotaRule::Subject::SaslUser);
  EXPECT_EQ(r.match, "*");
  EXPECT_EQ(r.limit, 100u);
  EXPECT_EQ(r.window, 3600s);
  EXPECT_EQ(rule("domain:Example.COM 5/day").match, "example.com");
  EXPECT_EQ(rule("domain:* 5/minute").window, 60s);
  EXPECT_EQ(rule("sasl:* 3/10s").window, 10s);
  for (const char* bad : {"", "sasl:* 3", "user:* 3/hour", "sasl:* x/hour", "sasl:* 3/week", "sasl: 3/hour",
                          "sasl:* 3/0s", "sasl:*3/hour"})
    EXPECT_FALSE(parseQuotaRule(bad)) << bad;
}

TEST(QuotaCounter, NPlusFirstMessageIsRefusedAndWindowRolls) {
  FakeClock clock;
  QuotaCounter quotas({rule("domain:* 3/minute")}, clock.fn());
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(quotas.tryConsume("", "a.test")) << i;
  auto over = quotas.tryConsume("", "a.test");
  ASSERT_TRUE(over);
  EXPECT_EQ(over->subject, "a.test");
  EXPECT_FALSE(quotas.tryConsume("", "b.test"));  // each domain counts on its own
  clock.now += 30s;
  EXPECT_TRUE(quotas.tryConsume("", "a.test"));  // still inside the minute
  clock.now += 31s;
  EXPECT_FALSE(quotas.tryConsume("", "a.test"));  // the first three rolled out
}

TEST(QuotaCounter, SlidingWindowForgetsOnlyWhatFellOut) {
  FakeClock clock;
  QuotaCounter quotas({rule("sasl:alice 2/60s")}, clock.fn());
  EXPECT_FALSE(quotas.tryConsume("alice", "a.test"));
  clock.now += 40s;
  EXPECT_FALSE(quotas.tryConsume("alice", "a.test"));
  EXPECT_TRUE(quotas.tryConsume("alice", "a.test"));
  clock.now += 21s;  // the first message is out, the second is not
  EXPECT_FALSE(quotas.tryConsume("alice", "a.test"));
  EXPECT_TRUE(quotas.tryConsume("alice", "a.test"));
  EXPECT_FALSE(quotas.tryConsume("bob", "a.test"));  // rule names alice only
  EXPECT_FALSE(quotas.tryConsume("", "a.test"));
}

TEST(QuotaCounter, RefusedMessageCountsAgainstNoRule) {
  FakeClock clock;
  QuotaCounter quotas({rule("domain:a.test 10/minute"), rule("sasl:* 1/minute")}, clock.fn());
  EXPECT_FALSE(quotas.tryConsume("alice", "a.test"));
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(quotas.tryConsume("alice", "a.test"));
  // Nine domain slots remain because alice's refusals were not counted.
  for (int i = 0; i < 9; ++i) EXPECT_FALSE(quotas.tryConsume("", "a.test")) << i;
  EXPECT_TRUE(quotas.tryConsume("", "a.test"));
}

}  // namespace
