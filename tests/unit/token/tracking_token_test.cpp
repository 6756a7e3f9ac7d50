#include "token/tracking_token.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

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
          "https://example.com/a?b=1&c=%20d#frag", 1'795'000'000};
}

// A token signed as `version` with the raw payload after the version byte, MAC'ed by key 1: how
// tokens already in mail were made (version 1), or a hand-made hostile one.
std::string signRaw(const KeyRing& ring, std::uint8_t version, const std::string& after_version) {
  std::string payload(1, static_cast<char>(version));
  payload += after_version;
  const auto digest = ring.mac(1)->mac(payload);
  payload.append(reinterpret_cast<const char*>(digest.data()), 16);
  return base64UrlEncode(payload);
}

std::string recipientBytes(const TokenClaims& claims) {
  return std::string(reinterpret_cast<const char*>(claims.recipient_id.bytes.data()), 16);
}

TEST(TrackingToken, RoundTripsEveryKind) {
  TokenCodec codec(ringFrom(kKey1));
  for (TokenKind kind : {TokenKind::Open, TokenKind::Click, TokenKind::Unsubscribe, TokenKind::Bounce}) {
    TokenClaims claims = clickClaims();
    claims.kind = kind;
    if (kind != TokenKind::Click) {
      claims.url.clear();
      claims.issued_at = 0;
    }
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

TEST(TrackingToken, ClicksCarryTheirIssueTimeOtherKindsStayVersionOne) {
  TokenCodec codec(ringFrom(kKey1));
  for (std::uint32_t issued_at : {0u, 1u, 1'795'000'000u, 0xffffffffu}) {
    TokenClaims claims = clickClaims();
    claims.issued_at = issued_at;
    const std::string token = codec.encode(claims);
    EXPECT_EQ((*base64UrlDecode(token))[0], 2);
    auto decoded = codec.decode(token);
    ASSERT_TRUE(decoded.ok()) << decoded.error();
    EXPECT_EQ(decoded->issued_at, issued_at);
    EXPECT_EQ(*decoded, claims);
  }
  const Uuid recipient = clickClaims().recipient_id;
  for (TokenKind kind : {TokenKind::Open, TokenKind::Unsubscribe, TokenKind::Bounce}) {
    const auto raw = *base64UrlDecode(codec.encode({kind, recipient, {}}));
    EXPECT_EQ(raw[0], 1);
    EXPECT_EQ(raw.size(), 3u + 16 + 16);  // VERP local parts and List-Unsubscribe URLs keep their length
  }
}

TEST(TrackingToken, VersionOneClicksInMailStillVerifyWithoutAnIssueTime) {
  const auto ring = ringFrom(kKey1);
  TokenCodec codec(ring);
  const TokenClaims claims = clickClaims();
  const std::string old_token = signRaw(*ring, 1, std::string("\x01" "c") + recipientBytes(claims) + claims.url);
  auto decoded = codec.decode(old_token);
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded->kind, TokenKind::Click);
  EXPECT_EQ(decoded->url, claims.url);
  EXPECT_EQ(decoded->issued_at, 0u);  // unknown: trackd.click_max_age does not apply to it
}

TEST(TrackingToken, VersionTwoIsOnlyForClicksWithARoomForTheTime) {
  const auto ring = ringFrom(kKey1);
  TokenCodec codec(ring);
  const std::string recipient = recipientBytes(clickClaims());
  // Correctly signed, but not what the milter makes: an open with a time, a click without one.
  auto open = codec.decode(signRaw(*ring, 2, std::string("\x01" "o") + recipient + "\x01\x02\x03\x04"));
  ASSERT_FALSE(open.ok());
  EXPECT_EQ(open.error(), "issue time in a token that is not a click");
  auto short_click = codec.decode(signRaw(*ring, 2, std::string("\x01" "c") + recipient + "\x01\x02"));
  ASSERT_FALSE(short_click.ok());
  EXPECT_EQ(short_click.error(), "token too short");
  EXPECT_FALSE(codec.decode(signRaw(*ring, 3, std::string("\x01" "c") + recipient + "\x01\x02\x03\x04")).ok());
  // The shortest version-2 click: a time and an empty URL (trackd then refuses to redirect).
  auto empty_url = codec.decode(signRaw(*ring, 2, std::string("\x01" "c") + recipient + std::string("\0\0\0\x07", 4)));
  ASSERT_TRUE(empty_url.ok()) << empty_url.error();
  EXPECT_EQ(empty_url->issued_at, 7u);
  EXPECT_TRUE(empty_url->url.empty());
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

// The token keys sign every link: a key file other users can read or write is refused (as ssh
// refuses an unprotected private key) with one line; owner and group access are fine.
TEST(KeyRing, RefusesAFileOpenToOtherUsers) {
  namespace fs = std::filesystem;
  const fs::path file = fs::temp_directory_path() / ("waybill-token-keys-" + std::to_string(::getpid()));
  std::ofstream(file) << kKey1 << "\n";
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  EXPECT_TRUE(KeyRing::loadFile(file.string()).ok());
  for (const auto others : {fs::perms::others_read, fs::perms::others_write}) {
    fs::permissions(file, fs::perms::owner_read | others);
    const auto refused = KeyRing::loadFile(file.string());
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().find("token key file '" + file.string() + "' is open to other users (mode 040"),
              std::string::npos) << refused.error();
    EXPECT_EQ(refused.error().find('\n'), std::string::npos);
  }
  fs::remove(file);
  EXPECT_NE(KeyRing::loadFile(file.string()).error().find("cannot read token key file"), std::string::npos);
}

TEST(KeyRing, GeneratedLineParses) {
  auto ring = KeyRing::parse(KeyRing::generateLine(7));
  ASSERT_TRUE(ring.ok());
  EXPECT_EQ(ring->signingKeyId(), 7);
}

}  // namespace
}  // namespace waybill
