#include "track/client_rate_limiter.h"

#include <gtest/gtest.h>

#include <string>

namespace waybill::track {
namespace {

int allowedOf(ClientRateLimiter& limiter, std::string_view ip, int requests, std::int64_t now_ms) {
  int allowed = 0;
  for (int i = 0; i < requests; ++i) allowed += limiter.allow(ip, now_ms) ? 1 : 0;
  return allowed;
}

TEST(ClientRateLimiter, BurstThenRatePerClient) {
  ClientRateLimiter limiter(10, 20);
  EXPECT_EQ(allowedOf(limiter, "192.0.2.1", 50, 1000), 20);   // the burst, then refused
  EXPECT_EQ(allowedOf(limiter, "192.0.2.2", 50, 1000), 20);   // another client is not affected
  EXPECT_EQ(allowedOf(limiter, "192.0.2.1", 50, 1500), 5);    // half a second at 10/s
  EXPECT_EQ(allowedOf(limiter, "192.0.2.1", 50, 100'000), 20);  // refilled up to the burst, no more
  EXPECT_EQ(allowedOf(limiter, "192.0.2.1", 5, 50), 0);       // a clock step back refills nothing
}

TEST(ClientRateLimiter, OffLoopbackAndUnknownAreNeverLimited) {
  ClientRateLimiter off(0, 1);
  EXPECT_EQ(allowedOf(off, "192.0.2.1", 1000, 0), 1000);
  ClientRateLimiter limiter(1, 1);
  for (const char* ip : {"127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1", "", "not an address"})
    EXPECT_EQ(allowedOf(limiter, ip, 100, 0), 100) << ip;
  EXPECT_EQ(limiter.trackedClients(), 0u);
}

TEST(ClientRateLimiter, IPv6CountsPerSlash64AndMappedIPv4AsIPv4) {
  ClientRateLimiter limiter(1, 3);
  EXPECT_EQ(allowedOf(limiter, "2001:db8:1:2::1", 2, 0), 2);
  EXPECT_EQ(allowedOf(limiter, "2001:db8:1:2:ffff::9", 5, 0), 1);  // same /64: one bucket
  EXPECT_EQ(allowedOf(limiter, "2001:db8:1:3::1", 5, 0), 3);       // the next /64 is another client
  EXPECT_EQ(allowedOf(limiter, "192.0.2.9", 2, 0), 2);
  EXPECT_EQ(allowedOf(limiter, "::ffff:192.0.2.9", 5, 0), 1);
  EXPECT_EQ(ClientRateLimiter::clientKey("2001:db8:1:2::1"), ClientRateLimiter::clientKey("2001:0db8:0001:0002:aaaa::"));
}

TEST(ClientRateLimiter, TableStaysBoundedUnderManyClients) {
  ClientRateLimiter limiter(1, 2, 160);  // 10 clients per shard
  for (int i = 0; i < 20'000; ++i) {
    const std::string ip = "10." + std::to_string(i / 65536) + "." + std::to_string((i / 256) % 256) + "." +
                           std::to_string(i % 256);
    EXPECT_TRUE(limiter.allow(ip, i));  // a new client always gets its burst
  }
  EXPECT_LE(limiter.trackedClients(), 160u);
}

}  // namespace
}  // namespace waybill::track
