#include "config/trackd_options.h"

#include <gtest/gtest.h>

#include "config/config.h"

namespace waybill {
namespace {

Result<std::shared_ptr<const Config>> parseTrackd(const std::string& lines) {
  ConfigParser parser("test", "test");
  return parser.parseText("[trackd]\n" + lines);
}

TEST(TrackdOptions, DefaultsAreLimitsNotUnlimited) {
  auto config = parseTrackd("");
  ASSERT_TRUE(config.ok()) << config.error();
  const TrackdConfig& t = (*config)->trackd;
  EXPECT_EQ(t.max_connections, 8192);
  EXPECT_EQ(t.rate_limit, 50);
  EXPECT_EQ(t.rate_burst, 200);
  EXPECT_EQ(t.spool_max_bytes, 512ull << 20);
  EXPECT_EQ(t.click_max_age_seconds, 0);
  EXPECT_TRUE(t.click_allowed_hosts.empty());
}

TEST(TrackdOptions, ReadsEveryLimit) {
  auto config = parseTrackd(
      "max_connections = 100\nrate_limit = 0\nrate_burst = 5\nspool_max_size = 64K\n"
      "click_max_age = 90d\nclick_allowed_hosts = Example.com, *.shop.test  [2001:db8::1]\n");
  ASSERT_TRUE(config.ok()) << config.error();
  const TrackdConfig& t = (*config)->trackd;
  EXPECT_EQ(t.max_connections, 100);
  EXPECT_EQ(t.rate_limit, 0);
  EXPECT_EQ(t.rate_burst, 5);
  EXPECT_EQ(t.spool_max_bytes, 64u * 1024);
  EXPECT_EQ(t.click_max_age_seconds, 90 * 86400);
  EXPECT_EQ(t.click_allowed_hosts, (std::vector<std::string>{"example.com", "shop.test", "[2001:db8::1]"}));
}

TEST(TrackdOptions, BadValuesNameTheOptionOnOneLine) {
  const std::pair<const char*, const char*> cases[] = {
      {"max_connections = 0\n", "option 'trackd.max_connections': must be at least 1, got 0"},
      {"rate_limit = -1\n", "option 'trackd.rate_limit'"},
      {"rate_burst = 0\n", "option 'trackd.rate_burst'"},
      {"spool_max_size = lots\n", "option 'trackd.spool_max_size': 'lots' is not a size"},
      {"spool_max_size = 12T\n", "option 'trackd.spool_max_size'"},
      {"spool_max_size = 1K\n", "option 'trackd.spool_max_size': at least 4K"},
      {"spool_max_size = 99999999999999999999G\n", "option 'trackd.spool_max_size'"},
      {"click_max_age = 3w\n", "option 'trackd.click_max_age': '3w' is not a duration"},
      {"click_max_age = -5\n", "option 'trackd.click_max_age'"},
      {"click_allowed_hosts = good.test, https://bad.test/\n",
       "option 'trackd.click_allowed_hosts': 'https://bad.test/' is not a host name"},
      {"threads = -1\n", "option 'trackd.threads'"},
      {"timeout = 0\n", "option 'trackd.timeout'"},
      {"unsubscribe_scope = planet\n", "option 'trackd.unsubscribe_scope'"},
  };
  for (const auto& [lines, expected] : cases) {
    auto config = parseTrackd(lines);
    ASSERT_FALSE(config.ok()) << lines;
    EXPECT_NE(config.error().find(expected), std::string::npos) << config.error();
    EXPECT_EQ(config.error().find('\n'), std::string::npos) << config.error();
  }
}

TEST(TrackdOptions, SizesAndDurations) {
  EXPECT_EQ(*parseByteSize("4096"), 4096u);
  EXPECT_EQ(*parseByteSize("2g"), 2ull << 30);
  EXPECT_FALSE(parseByteSize("").ok());
  EXPECT_FALSE(parseByteSize("M").ok());
  EXPECT_FALSE(parseByteSize("5MB").ok());
  EXPECT_EQ(*parseDurationSeconds("0"), 0);
  EXPECT_EQ(*parseDurationSeconds("45"), 45);
  EXPECT_EQ(*parseDurationSeconds("12h"), 12 * 3600);
  EXPECT_EQ(*parseDurationSeconds("30m"), 1800);
  EXPECT_FALSE(parseDurationSeconds("1.5d").ok());
}

}  // namespace
}  // namespace waybill
