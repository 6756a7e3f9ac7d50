#include "track/click_policy.h"

#include <gtest/gtest.h>

namespace waybill::track {
namespace {

TEST(UrlHost, ReadsTheHostAsABrowserWould) {
  const std::pair<const char*, const char*> cases[] = {
      {"https://Example.COM/a", "example.com"},
      {"http://example.com", "example.com"},
      {"https://example.com.:8443/x?y#z", "example.com"},
      {"https://user:pw@example.com/", "example.com"},
      {"https://good.example@evil.test/", "evil.test"},      // userinfo is not the host
      {"https://evil.test\\@good.example/", "evil.test"},    // '\' ends the host, as '/' does
      {"https://evil.test#@good.example/", "evil.test"},
      {"https://evil.test?@good.example/", "evil.test"},
      {"https://[2001:DB8::1]:443/p", "[2001:db8::1]"},
      {"https://192.0.2.7/", "192.0.2.7"},
      {"https://ex%61mple.com/", ""},                        // a browser decodes first: never matches
      {"https://m\xc3\xbcnchen.test/", ""},
      {"https:///path", ""},
      {"https://a..b/", ""},
      {"https://[::1/", ""},
      {"https://[zz]/", ""},
      {"not a url", ""},
      {"", ""},
  };
  for (const auto& [url, host] : cases) EXPECT_EQ(urlHost(url), host) << url;
}

TEST(NormalizeAllowedHost, AcceptsTheUsualSpellings) {
  for (const char* spelling : {"Example.COM", "*.example.com", ".example.com", "example.com."})
    EXPECT_EQ(normalizeAllowedHost(spelling), "example.com") << spelling;
  EXPECT_EQ(normalizeAllowedHost("[2001:db8::1]"), "[2001:db8::1]");
  for (const char* bad : {"", "*", "exa mple.com", "https://example.com", "example.com/x", "ex_ample.com", "a..b"})
    EXPECT_EQ(normalizeAllowedHost(bad), "") << bad;
}

TokenClaims click(std::string url, std::uint32_t issued_at) {
  return {TokenKind::Click, Uuid{}, std::move(url), issued_at};
}

TEST(ClickPolicy, WithoutLimitsEveryClickRedirects) {
  const ClickPolicy open;
  EXPECT_EQ(open.judge(click("https://anywhere.test/", 1), 2'000'000'000), ClickVerdict::Redirect);
  EXPECT_EQ(open.judge(click("https://anywhere.test/", 0), 2'000'000'000), ClickVerdict::Redirect);
}

TEST(ClickPolicy, MaximumAgeCountsFromTheIssueTime) {
  const ClickPolicy policy{3600, {}};
  const std::int64_t now = 1'800'000'000;
  EXPECT_EQ(policy.judge(click("https://a.test/", now - 3600), now), ClickVerdict::Redirect);
  EXPECT_EQ(policy.judge(click("https://a.test/", now - 3601), now), ClickVerdict::Expired);
  EXPECT_EQ(policy.judge(click("https://a.test/", now + 600), now), ClickVerdict::Redirect);  // milter clock ahead
  // A version-1 click (no issue time) from mail sent before the upgrade keeps working.
  EXPECT_EQ(policy.judge(click("https://a.test/", 0), now), ClickVerdict::Redirect);
}

TEST(ClickPolicy, AllowlistTakesHostsAndTheirSubdomains) {
  const ClickPolicy policy{0, {"example.com", "[2001:db8::1]"}};
  EXPECT_EQ(policy.judge(click("https://example.com/", 5), 10), ClickVerdict::Redirect);
  EXPECT_EQ(policy.judge(click("https://WWW.Example.com:443/x", 5), 10), ClickVerdict::Redirect);
  EXPECT_EQ(policy.judge(click("http://[2001:db8::1]/", 5), 10), ClickVerdict::Redirect);
  for (const char* url : {"https://notexample.com/", "https://example.com.evil.test/", "https://example.com@evil.test/",
                          "https://evil.test\\@example.com/", "https://ex%61mple.com/", "https://[2001:db8::2]/"})
    EXPECT_EQ(policy.judge(click(url, 5), 10), ClickVerdict::HostNotAllowed) << url;
  // The allowlist applies to version-1 clicks too: it needs no issue time.
  EXPECT_EQ(policy.judge(click("https://evil.test/", 0), 10), ClickVerdict::HostNotAllowed);
}

TEST(ClickPolicy, DisallowedHostWinsOverAge) {
  const ClickPolicy policy{60, {"example.com"}};
  EXPECT_EQ(policy.judge(click("https://evil.test/", 1), 1'000'000), ClickVerdict::HostNotAllowed);
  EXPECT_EQ(policy.judge(click("https://example.com/", 1), 1'000'000), ClickVerdict::Expired);
}

}  // namespace
}  // namespace waybill::track
