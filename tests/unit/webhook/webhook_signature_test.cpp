#include "webhook/webhook_signature.h"

#include <gtest/gtest.h>

namespace waybill::webhook {
namespace {

using std::chrono::seconds;

TEST(WebhookSignature, MatchesRfc4231TestCase2) {
  EXPECT_EQ(hmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(WebhookSignature, HeaderIsTimestampAndMacOverTimestampDotBody) {
  const auto header = signWebhook("secret", 1700000000, R"({"events":[]})");
  EXPECT_EQ(header, "t=1700000000,v1=" + hmacSha256Hex("secret", R"(1700000000.{"events":[]})"));
}

TEST(WebhookSignature, VerifiesAndRejectsTampering) {
  const std::string body = R"({"events":[{"id":"1"}]})";
  const auto header = signWebhook("k", 1000, body);
  EXPECT_TRUE(verifyWebhook("k", header, body, 1000, seconds(300)));
  EXPECT_TRUE(verifyWebhook("k", header, body, 1299, seconds(300)));
  EXPECT_FALSE(verifyWebhook("k", header, body, 1301, seconds(300))) << "a replay after the tolerance";
  EXPECT_FALSE(verifyWebhook("other", header, body, 1000, seconds(300))) << "wrong secret";
  EXPECT_FALSE(verifyWebhook("k", header, body + " ", 1000, seconds(300))) << "altered body";
  const auto moved = "t=1001" + header.substr(header.find(','));
  EXPECT_FALSE(verifyWebhook("k", moved, body, 1001, seconds(300))) << "timestamp is inside the MAC";
}

TEST(WebhookSignature, GarbageHeadersAreRejected) {
  for (const char* header : {"", "t=", "v1=", "t=abc,v1=00", "t=1000", "t=1000,v1=zz", "garbage,,,"})
    EXPECT_FALSE(verifyWebhook("k", header, "b", 1000, seconds(300))) << header;
}

}  // namespace
}  // namespace waybill::webhook
