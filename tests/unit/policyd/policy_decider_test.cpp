#include "policy/policy_decider.h"

#include <gtest/gtest.h>

using namespace waybill::policy;
using namespace std::chrono_literals;

namespace {

PolicyRequest request(const char* state, const char* sender, const char* recipient, const char* instance = "i1") {
  PolicyRequest r;
  r.add("request", "smtpd_access_policy");
  r.add("protocol_state", state);
  r.add("sender", sender);
  r.add("recipient", recipient);
  r.add("instance", instance);
  r.add("queue_id", "ABC123");
  return r;
}

class PolicyDeciderTest : public ::testing::Test {
 protected:
  std::chrono::steady_clock::time_point now{};
  QuotaCounter quotas{{*parseQuotaRule("domain:* 2/minute")}, [this] { return now; }};
  PolicyDecider decider{quotas};
  SuppressionIndex index;
  ConnectionState state;
};

TEST_F(PolicyDeciderTest, SuppressedRecipientIsRejectedWithReasonAndDate) {
  index.upsert({"bob@y.test", SuppressionScope::Sender, "news@a.test", SuppressionReason::Unsubscribed, 1795000000});
  auto d = decider.decide(request("RCPT", "news@a.test", "Bob@y.test"), &index, state);
  EXPECT_EQ(d.action,
            "REJECT 5.7.1 Recipient suppressed for sender news@a.test: unsubscribed since 2026-11-18T11:06:40Z");
  ASSERT_TRUE(d.suppressed);
  EXPECT_EQ(d.suppressed->queue_id, "ABC123");
  EXPECT_EQ(decider.decide(request("RCPT", "other@a.test", "bob@y.test", "i2"), &index, state).action, "DUNNO");
}

TEST_F(PolicyDeciderTest, NoListLoadedDefersEveryRecipient) {
  auto d = decider.decide(request("RCPT", "news@a.test", "bob@y.test"), nullptr, state);
  EXPECT_EQ(d.action.rfind("DEFER_IF_PERMIT 4.7.1 ", 0), 0u) << d.action;
}

TEST_F(PolicyDeciderTest, QuotaCountsEachMessageOnceAndDefersWith471) {
  EXPECT_EQ(decider.decide(request("RCPT", "n@a.test", "r1@y.test", "m1"), &index, state).action, "DUNNO");
  EXPECT_EQ(decider.decide(request("RCPT", "n@a.test", "r2@y.test", "m1"), &index, state).action, "DUNNO");
  EXPECT_EQ(decider.decide(request("END-OF-MESSAGE", "n@a.test", "", "m1"), &index, state).action, "DUNNO");
  EXPECT_EQ(decider.decide(request("RCPT", "n@a.test", "r1@y.test", "m2"), &index, state).action, "DUNNO");
  auto third = decider.decide(request("RCPT", "n@a.test", "r1@y.test", "m3"), &index, state);
  EXPECT_EQ(third.action, "DEFER_IF_PERMIT 4.7.1 Sending quota exceeded: 2 messages per minute for each sender "
                          "domain (a.test reached)");
  now += 61s;
  EXPECT_EQ(decider.decide(request("RCPT", "n@a.test", "r1@y.test", "m3"), &index, state).action, "DUNNO");
}

TEST_F(PolicyDeciderTest, OtherStatesAndRequestTypes) {
  EXPECT_EQ(decider.decide(request("CONNECT", "", ""), nullptr, state).action, "DUNNO");
  PolicyRequest odd;
  odd.add("request", "something_else");
  EXPECT_EQ(decider.decide(odd, &index, state).action.rfind("DEFER_IF_PERMIT", 0), 0u);
}

}  // namespace
