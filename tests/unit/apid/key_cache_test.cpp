// KeyCache: live keys kept for the ttl only, and never more than the capacity.
#include <gtest/gtest.h>

#include "key_cache.h"

namespace waybill::apid {
namespace {

using namespace std::chrono_literals;

store::ApiKeyRow key(const std::string& name) {
  store::ApiKeyRow row;
  row.name = name;
  row.sender_domains = {"shop.example"};
  return row;
}

TEST(KeyCache, KeepsAKeyForItsTtlOnly) {
  KeyCache cache(5s, 10);
  const auto now = KeyCache::Clock::now();
  EXPECT_FALSE(cache.find("d1", now));
  cache.keep("d1", key("shop"), now);
  ASSERT_TRUE(cache.find("d1", now + 4s));
  EXPECT_EQ(cache.find("d1", now + 4s)->name, "shop");
  EXPECT_FALSE(cache.find("d1", now + 5s));  // a revoked key stops working within the ttl
  EXPECT_FALSE(cache.find("d1", now + 4s));  // and is gone, not kept expired
}

TEST(KeyCache, NeverHoldsMoreThanItsCapacity) {
  KeyCache cache(60s, 3);
  const auto now = KeyCache::Clock::now();
  for (int i = 0; i < 5; ++i) cache.keep("d" + std::to_string(i), key("k" + std::to_string(i)), now + std::chrono::seconds(i));
  int kept = 0;
  for (int i = 0; i < 5; ++i) kept += cache.find("d" + std::to_string(i), now + 5s) ? 1 : 0;
  EXPECT_EQ(kept, 3);
  EXPECT_FALSE(cache.find("d0", now + 5s));  // the oldest went first
  EXPECT_TRUE(cache.find("d4", now + 5s));
}

}  // namespace
}  // namespace waybill::apid
