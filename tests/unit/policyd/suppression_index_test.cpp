#include "policy/suppression_index.h"

#include <gtest/gtest.h>

using namespace waybill::policy;

namespace {

Suppression row(std::string recipient, SuppressionScope scope, std::string value, SuppressionReason reason,
                std::int64_t since = 1000) {
  return {std::move(recipient), scope, std::move(value), reason, since};
}

TEST(SuppressionIndex, SenderScopeOnlyStopsThatSender) {
  SuppressionIndex index;
  index.upsert(row("bob@y.test", SuppressionScope::Sender, "news@a.test", SuppressionReason::Unsubscribed));
  auto hit = index.match("bob@y.test", "news@a.test");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->reason, SuppressionReason::Unsubscribed);
  EXPECT_EQ(hit->scope_value, "news@a.test");
  EXPECT_FALSE(index.match("bob@y.test", "other@a.test"));
  EXPECT_FALSE(index.match("bob@y.test", "news@b.test"));
  EXPECT_FALSE(index.match("bob@y.test", ""));
  EXPECT_FALSE(index.match("carol@y.test", "news@a.test"));
}

TEST(SuppressionIndex, MatchingIgnoresCase) {
  SuppressionIndex index;
  index.upsert(row("bob@y.test", SuppressionScope::Sender, "news@a.test", SuppressionReason::Unsubscribed));
  EXPECT_TRUE(index.match("Bob@Y.TEST", "NEWS@a.Test"));
}

TEST(SuppressionIndex, DomainScopeStopsEverySenderOfTheDomain) {
  SuppressionIndex index;
  index.upsert(row("bob@y.test", SuppressionScope::Domain, "a.test", SuppressionReason::Manual));
  EXPECT_TRUE(index.match("bob@y.test", "news@a.test"));
  EXPECT_TRUE(index.match("bob@y.test", "billing@a.test"));
  EXPECT_FALSE(index.match("bob@y.test", "news@b.test"));
  EXPECT_FALSE(index.match("bob@y.test", "a.test"));  // a bare domain is no sender of it
}

TEST(SuppressionIndex, GlobalScopeStopsEverySenderAndNullSender) {
  SuppressionIndex index;
  index.upsert(row("bob@y.test", SuppressionScope::Global, "", SuppressionReason::HardBounce, 42));
  for (const char* sender : {"a@a.test", "z@z.test", ""}) {
    auto hit = index.match("bob@y.test", sender);
    ASSERT_TRUE(hit) << sender;
    EXPECT_EQ(hit->since, 42);
  }
}

TEST(SuppressionIndex, WidestScopeWins) {
  SuppressionIndex index;
  index.upsert(row("bob@y.test", SuppressionScope::Sender, "n@a.test", SuppressionReason::Unsubscribed));
  index.upsert(row("bob@y.test", SuppressionScope::Global, "", SuppressionReason::Complaint));
  EXPECT_EQ(index.match("bob@y.test", "n@a.test")->scope, SuppressionScope::Global);
  EXPECT_EQ(index.entries(), 2u);
  EXPECT_EQ(index.recipients(), 1u);
}

TEST(SuppressionIndex, UpsertReplacesAndEraseRemoves) {
  SuppressionIndex index;
  index.upsert(row("bob@y.test", SuppressionScope::Sender, "n@a.test", SuppressionReason::Unsubscribed, 1));
  index.upsert(row("bob@y.test", SuppressionScope::Sender, "n@a.test", SuppressionReason::Manual, 2));
  EXPECT_EQ(index.entries(), 1u);
  EXPECT_EQ(index.match("bob@y.test", "n@a.test")->reason, SuppressionReason::Manual);
  index.upsert(row("bob@y.test", SuppressionScope::Domain, "a.test", SuppressionReason::Manual));
  index.erase("bob@y.test", SuppressionScope::Sender, "n@a.test");
  EXPECT_EQ(index.entries(), 1u);
  EXPECT_TRUE(index.match("bob@y.test", "n@a.test"));  // still the domain row
  index.erase("bob@y.test", SuppressionScope::Domain, "a.test");
  EXPECT_FALSE(index.match("bob@y.test", "n@a.test"));
  EXPECT_EQ(index.recipients(), 0u);
  index.erase("nobody@y.test", SuppressionScope::Global, "");  // absent: no effect
  index.erase("bob@y.test", SuppressionScope::Sender, "never-seen@a.test");
  EXPECT_EQ(index.entries(), 0u);
}

TEST(SuppressionScopeDefaults, FollowConfiguration) {
  ScopeDefaults defaults;
  EXPECT_EQ(defaults.forReason(SuppressionReason::Unsubscribed), SuppressionScope::Sender);
  EXPECT_EQ(defaults.forReason(SuppressionReason::HardBounce), SuppressionScope::Global);
  EXPECT_EQ(defaults.forReason(SuppressionReason::Complaint), SuppressionScope::Global);
  EXPECT_EQ(scopeValueFor(SuppressionScope::Domain, "<News@A.Test>"), "a.test");
  EXPECT_EQ(scopeValueFor(SuppressionScope::Sender, "News@A.Test"), "news@a.test");
  EXPECT_EQ(scopeValueFor(SuppressionScope::Global, "News@A.Test"), "");
  EXPECT_FALSE(parseSuppressionReason("bored"));
  EXPECT_EQ(*parseSuppressionScope("domain"), SuppressionScope::Domain);
}

}  // namespace
