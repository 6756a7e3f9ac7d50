#include "webhook/webhook_endpoint.h"

#include <gtest/gtest.h>

namespace waybill::webhook {
namespace {

TEST(WebhookEndpoint, ParsesNameUrlAndFilters) {
  auto endpoint = parseWebhookEndpoint(
      "crm https://crm.example.com/hook events=delivered,bounced sender=News@Shop.example,@other.example secret=s3");
  ASSERT_TRUE(endpoint.ok()) << endpoint.error();
  EXPECT_EQ(endpoint->name, "crm");
  EXPECT_EQ(endpoint->url, "https://crm.example.com/hook");
  EXPECT_EQ(endpoint->events, (std::set<std::string, std::less<>>{"bounced", "delivered"}));
  EXPECT_EQ(endpoint->senders, (std::vector<std::string>{"news@shop.example", "@other.example"}));
  EXPECT_EQ(endpoint->secret, "s3");
}

TEST(WebhookEndpoint, WithoutFiltersWantsEverything) {
  auto endpoint = parseWebhookEndpoint("all http://127.0.0.1:9/x events=*");
  ASSERT_TRUE(endpoint.ok()) << endpoint.error();
  for (const auto& type : knownEventTypes()) EXPECT_TRUE(endpoint->wants(type, "anyone@anywhere.example")) << type;
  EXPECT_TRUE(endpoint->wants("inbound", ""));
}

struct MatchCase {
  const char* type;
  const char* sender;
  bool wanted;
};

class EndpointMatches : public ::testing::TestWithParam<MatchCase> {};

TEST_P(EndpointMatches, ByTypeAndSender) {
  auto endpoint = parseWebhookEndpoint("e http://h/ events=delivered,opened sender=a@x.example,@y.example");
  ASSERT_TRUE(endpoint.ok()) << endpoint.error();
  EXPECT_EQ(endpoint->wants(GetParam().type, GetParam().sender), GetParam().wanted)
      << GetParam().type << " " << GetParam().sender;
}

INSTANTIATE_TEST_SUITE_P(Table, EndpointMatches, ::testing::Values(
    MatchCase{"delivered", "a@x.example", true},
    MatchCase{"delivered", "A@X.EXAMPLE", true},
    MatchCase{"opened", "anyone@y.example", true},
    MatchCase{"opened", "b@x.example", false},         // other address of an exact-address filter
    MatchCase{"opened", "a@sub.y.example", false},     // a subdomain is another domain
    MatchCase{"bounced", "a@x.example", false},        // type not wanted
    MatchCase{"delivered", "", false}));

struct BadEndpoint {
  const char* line;    // webhooks.endpoint's value
  const char* reason;  // what the error must say
};

class BadEndpoints : public ::testing::TestWithParam<BadEndpoint> {};

TEST_P(BadEndpoints, AreRefusedWithAReason) {
  auto endpoint = parseWebhookEndpoint(GetParam().line);
  ASSERT_FALSE(endpoint.ok());
  EXPECT_NE(endpoint.error().find(GetParam().reason), std::string::npos) << endpoint.error();
}

INSTANTIATE_TEST_SUITE_P(Table, BadEndpoints, ::testing::Values(
    BadEndpoint{"", "expected NAME URL"},
    BadEndpoint{"lonely", "expected NAME URL"},
    BadEndpoint{"bad/name http://h/", "name may only"},
    BadEndpoint{"e ftp://h/", "must start with http"},
    BadEndpoint{"e http://h/ events=delivered,exploded", "unknown event type 'exploded'"},
    BadEndpoint{"e http://h/ events=", "lists no event type"},
    BadEndpoint{"e http://h/ sender=nobody", "neither an address"},
    BadEndpoint{"e http://h/ colour=blue", "unknown key 'colour'"},
    BadEndpoint{"e http://h/ loose", "not key=value"}));

}  // namespace
}  // namespace waybill::webhook
