// waybill-pipe's routing by envelope recipient and its dedupe key (pipe-transport/pipe_store.h).
#include <gtest/gtest.h>

#include "pipe_store.h"

namespace waybill::pipe {
namespace {

TEST(PipeRoute, BounceUnsubscribeAndInboundDomains) {
  PipeConfig config;
  config.bounce_domain = "Bounces.Example.com";
  config.inbound_domains = {"in.example.com", "replies.example.org"};
  EXPECT_EQ(routeRecipient(config, "bounce+TOKEN@bounces.example.com"), Destination::Bounce);
  EXPECT_EQ(routeRecipient(config, "UNSUB+TOKEN@BOUNCES.example.com"), Destination::Unsubscribe);
  EXPECT_EQ(routeRecipient(config, "support@In.Example.com"), Destination::Inbound);
  EXPECT_EQ(routeRecipient(config, "x@replies.example.org"), Destination::Inbound);
  // Misrouted mail is read as a bounce and stored, never dropped.
  EXPECT_EQ(routeRecipient(config, "someone@elsewhere.example"), Destination::Bounce);
}

TEST(PipeDedupe, SameDeliverySameKeyAnythingElseDiffers) {
  PipeEnvelope a{"", "bounce+T@b.example", "4ABC"};
  std::string key = dedupeKey(a, "message");
  EXPECT_EQ(key.size(), 64u);
  EXPECT_EQ(key, dedupeKey(a, "message"));
  EXPECT_NE(key, dedupeKey(a, "message2"));
  EXPECT_NE(key, dedupeKey({"", "bounce+T@b.example", "4ABD"}, "message"));
  EXPECT_NE(key, dedupeKey({"", "bounce+U@b.example", "4ABC"}, "message"));
}

}  // namespace
}  // namespace waybill::pipe
