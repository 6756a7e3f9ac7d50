#include <fmt/format.h>
#include <gtest/gtest.h>

#include "mail/address.h"
#include "util/base64url.h"
#include "util/utf8.h"
#include "util/uuid.h"

namespace waybill {
namespace {

TEST(Base64Url, RoundTripsAllLengths) {
  std::string bytes;
  for (int n = 0; n < 70; ++n) {
    EXPECT_EQ(base64UrlDecode(base64UrlEncode(bytes)), bytes);
    bytes.push_back(static_cast<char>(n * 37 + 250));
  }
  EXPECT_EQ(base64UrlEncode("\xfb\xff"), "-_8");
}

TEST(Base64Url, RejectsNonCanonicalInput) {
  EXPECT_FALSE(base64UrlDecode("A").has_value());      // impossible length
  EXPECT_FALSE(base64UrlDecode("AB=").has_value());    // padding not allowed
  EXPECT_FALSE(base64UrlDecode("AB+").has_value());    // standard alphabet not allowed
  EXPECT_FALSE(base64UrlDecode("AF").has_value());     // stray low bits
  EXPECT_TRUE(base64UrlDecode("AA").has_value());
}

TEST(Uuid, FormatsAndParses) {
  const Uuid id = Uuid::random();
  auto parsed = Uuid::parse(id.toString());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, id);
  EXPECT_EQ(id.toString()[14], '4');
  EXPECT_NE(Uuid::random(), id);
  EXPECT_FALSE(Uuid::parse("0b5f2a8e-1c4d-4e6f-9a0b-1c2d3e4f5a6").ok());
  EXPECT_FALSE(Uuid::parse("0b5f2a8e+1c4d-4e6f-9a0b-1c2d3e4f5a6b").ok());
  EXPECT_FALSE(Uuid::parse("0b5f2a8e-1c4d-4e6f-9a0b-1c2d3e4f5a6g").ok());
}

TEST(Utf8, ValidatesAndRepairs) {
  EXPECT_TRUE(isValidUtf8("plain ascii"));
  EXPECT_TRUE(isValidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(isValidUtf8("caf\xe9"));          // latin-1
  EXPECT_FALSE(isValidUtf8("\xc0\xaf"));         // overlong
  EXPECT_FALSE(isValidUtf8("\xed\xa0\x80"));     // surrogate
  EXPECT_EQ(toValidUtf8("caf\xe9!"), "caf\xef\xbf\xbd!");
  EXPECT_EQ(toValidUtf8(std::string("a\0b", 3)), "ab");
}

TEST(Address, ExtractsParts) {
  EXPECT_EQ(stripAngles(" <a@b.c> "), "a@b.c");
  EXPECT_EQ(domainOf("<User@Example.COM>"), "example.com");
  EXPECT_EQ(domainOf("postmaster"), "");
  for (const char* header : {"\"Doe, <Jane>\" <jane@example.org>", "jane@example.org (Jane), bob@example.org"})
    EXPECT_EQ(firstAddressInHeader(header), "jane@example.org") << header;
  EXPECT_EQ(splitList(" a, b ,,c "), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(Address, MessageIdAndDate) {
  const std::string id = makeMessageId("example.com");
  EXPECT_EQ(id.front(), '<');
  EXPECT_NE(id.find("@example.com>"), std::string::npos);
  EXPECT_NE(makeMessageId("example.com"), id);
  const auto when = std::chrono::system_clock::from_time_t(1795321231);  // 2026-11-22 04:20:31 UTC
  EXPECT_EQ(formatRfc5322Date(when), "Sun, 22 Nov 2026 04:20:31 +0000");
}

TEST(Address, DateOnEveryDayOfAMonth) {
  // 2026-12-01 00:00:00 UTC, then each day: one- and two-digit days alike.
  const auto first = std::chrono::system_clock::from_time_t(1796083200);
  const char* weekdays[] = {"Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Mon"};
  for (int day = 1; day <= 31; ++day) {
    const auto when = first + std::chrono::hours(24 * (day - 1)) + std::chrono::seconds(3661);
    EXPECT_EQ(formatRfc5322Date(when), fmt::format("{}, {:02} Dec 2026 01:01:01 +0000", weekdays[(day - 1) % 7], day));
  }
}

}  // namespace
}  // namespace waybill
