// VerpAddress: round trip, wrong domain, forged token, kind mismatch.
#include "dsn/verp_address.h"

#include <gtest/gtest.h>

#include <memory>

namespace waybill::dsn {
namespace {

TokenCodec makeCodec() {
  auto ring = KeyRing::parse("1 " + std::string(64, 'a') + "\n");
  EXPECT_TRUE(ring.ok());
  return TokenCodec(std::make_shared<const KeyRing>(std::move(*ring)));
}

TEST(VerpAddress, BounceAddressRoundTrips) {
  TokenCodec codec = makeCodec();
  Uuid id = Uuid::random();
  std::string address = makeBounceAddress(codec, id, "bounce", "bounces.example.com");
  EXPECT_EQ(address.rfind("bounce+", 0), 0u);
  EXPECT_LE(address.find('@'), 64u);  // RFC 5321 local-part limit
  auto claims = parseVerpAddress(codec, address, "Bounces.Example.COM");
  ASSERT_TRUE(claims.ok()) << claims.error();
  EXPECT_EQ(claims->kind, TokenKind::Bounce);
  EXPECT_EQ(claims->recipient_id, id);
}

TEST(VerpAddress, UnsubscribeAddressRoundTrips) {
  TokenCodec codec = makeCodec();
  Uuid id = Uuid::random();
  auto claims = parseVerpAddress(codec, makeUnsubscribeAddress(codec, id, "b.example"), "b.example");
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ(claims->kind, TokenKind::Unsubscribe);
  EXPECT_EQ(claims->recipient_id, id);
}

TEST(VerpAddress, RejectsOtherDomainsMissingAndForgedTokens) {
  TokenCodec codec = makeCodec();
  std::string address = makeBounceAddress(codec, Uuid::random(), "bounce", "b.example");
  EXPECT_FALSE(parseVerpAddress(codec, address, "other.example").ok());
  EXPECT_FALSE(parseVerpAddress(codec, "bounce@b.example", "b.example").ok());
  std::string forged = address;
  forged[10] = forged[10] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(parseVerpAddress(codec, forged, "b.example").ok());
  // An unsubscribe token under a bounce local part (or the reverse) is not accepted.
  std::string unsub = makeUnsubscribeAddress(codec, Uuid::random(), "b.example");
  EXPECT_FALSE(parseVerpAddress(codec, "bounce" + unsub.substr(5), "b.example").ok());
}

}  // namespace
}  // namespace waybill::dsn
