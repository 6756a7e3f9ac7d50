#include "token/tracking_token.h"

#include <gtest/gtest.h>

#include "util/base64url.h"

namespace waybill {
namespace {

std::shared_ptr<const KeyRing> ringFrom(const std::string& text) {
  auto ring = KeyRing::parse(text);
  EXPECT_TRUE(ring.ok()) << (ring.ok() ? "" : ring.error());
  return std::make_shared<const KeyRing>(*ring);
}

const std::string kKey1 = "1 " + std::string(64, 'a');
const std::string kKey2 = "2 " + std::string(64, 'b');

TokenClaims clickClaims() {
  return {TokenKind::Click, *Uuid::parse("0b5f2a8e-1c4d-4e6f-9a0b-1c2d3e4f5a6b"),
          "https://example.com/a?b=1&c=%20d#frag"};
}

TEST(TrackingToken, RoundTripsEveryKind) {
  TokenCodec codec(ringFrom(kKey1));
  for (TokenKind kind : {TokenKind::Open, TokenKind::Click, TokenKind::Unsubscribe, TokenKind::Bounce}) {
    TokenClaims claims = clickClaims();
    claims.kind = kind;
    if (kind != TokenKind::Click) claims.url.clear();
    auto decoded = codec.decode(codec.encode(claims));
    ASSERT_TRUE(decoded.ok()) << decoded.error();
    EXPECT_EQ(*decoded, claims);
  }
}

TEST(TrackingToken, TokenIsUrlSafe) {
  TokenCodec codec(ringFrom(kKey1));
  const std::string token = codec.encode(clickClaims());
  EXPECT_EQ(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), std::string::npos);
}

TEST(TrackingToken, EverySingleByteAlterationIsRejected) {
  TokenCodec codec(ringFrom(kKey1));
  const auto raw = *base64UrlDecode(codec.encode(clickClaims()));
  int attempts = 0;
  for (std::size_t position = 0; position < raw.size(); ++position) {
    for (int delta = 1; delta < 256; ++delta) {
      std::string altered = raw;
      altered[position] = static_cast<char>(static_cast<unsigned char>(altered[position]) ^ delta);
      ASSERT_FALSE(codec.decode(base64UrlEncode(altered)).ok()) << "byte " << position << " xor " << delta;
      ++attempts;
    }
  }
  EXPECT_EQ(attempts, static_cast<int>(raw.size()) * 255);
}

TEST(TrackingToken, EveryCharacterAlterationIsRejected) {
  TokenCodec codec(ringFrom(kKey1));
  const std::string token = codec.encode(clickClaims());
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.%=+/";
  for (std::size_t i = 0; i < token.size(); ++i) {
    for (char c : alphabet) {
      if (c == token[i]) continue;
      std::string altered = token;
      altered[i] = c;
      EXPECT_FALSE(codec.decode(altered).ok()) << "position " << i << " char " << c;
    }
  }
}

TEST(TrackingToken, TruncatedAndExtendedTokensAreRejected) {
  TokenCodec codec(ringFrom(kKey1));
  const std::string token = codec.encode(clickClaims());
  for (std::size_t length = 0; length < token.size(); ++length) EXPECT_FALSE(codec.decode(token.substr(0, length)).ok());
  EXPECT_FALSE(codec.decode(token + "A").ok());
  EXPECT_FALSE(codec.decode(token + "AAAA").ok());
}

TEST(TrackingToken, UnknownKeyIdIsRejected) {
  TokenCodec signer(ringFrom(kKey2));
  TokenCodec verifier(ringFrom(kKey1));
  auto decoded = verifier.decode(signer.encode(clickClaims()));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error(), "unknown key id");
}

TEST(TrackingToken, SameKeyIdWithOtherSecretIsRejected) {
  TokenCodec signer(ringFrom("1 " + std::string(64, 'c')));
  TokenCodec verifier(ringFrom(kKey1));
  EXPECT_FALSE(verifier.decode(signer.encode(clickClaims())).ok());
}

TEST(TrackingToken, OldKeyStillVerifiesAfterRotation) {
  TokenCodec before(ringFrom(kKey1));
  const std::string old_token = before.encode(clickClaims());
  TokenCodec after(ringFrom(kKey2 + "\n" + kKey1 + "\n"));  // new key first: it signs
  const std::string new_token = after.encode(clickClaims());
  EXPECT_NE(old_token, new_token);
  EXPECT_TRUE(after.decode(old_token).ok());
  EXPECT_TRUE(after.decode(new_token).ok());
  EXPECT_EQ((*base64UrlDecode(new_token))[1], 2);  // signed with key 2
  EXPECT_FALSE(before.decode(new_token).ok());     // hosts not yet rotated reject the new key
}

TEST(KeyRing, RejectsBadFiles) {
  EXPECT_FALSE(KeyRing::parse("").ok());
  EXPECT_FALSE(KeyRing::parse("# only a comment\n").ok());
  EXPECT_FALSE(KeyRing::parse("1 abcd\n").ok());                           // too short
  EXPECT_FALSE(KeyRing::parse("256 " + std::string(64, 'a')).ok());        // id out of range
  EXPECT_FALSE(KeyRing::parse("1 " + std::string(64, 'g')).ok());          // not hex
  EXPECT_FALSE(KeyRing::parse(kKey1 + "\n" + kKey1).ok());                 // repeated id
  EXPECT_FALSE(KeyRing::parse(kKey1 + " extra").ok());
  EXPECT_TRUE(KeyRing::parse("# keys\n" + kKey1 + "  # current\n").ok());
}

TEST(KeyRing, GeneratedLineParses) {
  auto ring = KeyRing::parse(KeyRing::generateLine(7));
  ASSERT_TRUE(ring.ok());
  EXPECT_EQ(ring->signingKeyId(), 7);
}

}  // namespace
}  // namespace waybill
