#include "runtime/connection_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace waybill::runtime {
namespace {

using namespace std::chrono_literals;

struct FakeConnection {
  explicit FakeConnection(int number) : id(number) {}
  bool usable() const { return !broken; }
  std::chrono::steady_clock::time_point lastUsed() const { return last_used; }
  int id;
  bool broken = false;
  std::chrono::steady_clock::time_point last_used = std::chrono::steady_clock::now();
};

using Pool = ConnectionPool<FakeConnection>;

TEST(ConnectionPool, AnEmptySlotFirstThenTheConnectionGivenBack) {
  Pool pool({.max_connections = 2, .max_idle = 60s});
  auto slot = pool.borrow(0s);
  ASSERT_TRUE(slot.ok());
  EXPECT_EQ(*slot, nullptr) << "nothing idle yet: the borrower opens one";
  pool.giveBack(std::make_unique<FakeConnection>(7));
  EXPECT_EQ(pool.idleConnections(), 1u);
  auto again = pool.borrow(0s);
  ASSERT_TRUE(again.ok() && *again);
  EXPECT_EQ((*again)->id, 7);
  EXPECT_EQ(pool.idleConnections(), 0u);
}

TEST(ConnectionPool, ABrokenOrNullConnectionFreesTheSlotAndIsNotKept) {
  Pool pool({.max_connections = 1, .max_idle = 60s});
  auto slot = pool.borrow(0s);
  ASSERT_TRUE(slot.ok());
  auto broken = std::make_unique<FakeConnection>(1);
  broken->broken = true;
  pool.giveBack(std::move(broken));
  EXPECT_EQ(pool.idleConnections(), 0u);
  auto next = pool.borrow(0s);
  ASSERT_TRUE(next.ok()) << "the only slot came back";
  pool.giveBack(nullptr);
  EXPECT_TRUE(pool.borrow(0s).ok());
}

TEST(ConnectionPool, EverySlotLentOutIsAnErrorWithoutWaitingAndAfterTheWait) {
  Pool pool({.max_connections = 1, .max_idle = 60s});
  auto held = pool.borrow(0s);
  ASSERT_TRUE(held.ok());
  EXPECT_FALSE(pool.borrow(0s).ok());
  EXPECT_FALSE(pool.borrow(1s).ok());
}

TEST(ConnectionPool, AWaitingBorrowerGetsTheSlotGivenBack) {
  Pool pool({.max_connections = 1, .max_idle = 60s});
  auto held = pool.borrow(0s);
  ASSERT_TRUE(held.ok());
  std::atomic<int> got{-1};
  std::thread waiter([&] {
    auto slot = pool.borrow(std::nullopt);
    got = slot.ok() && *slot ? (*slot)->id : 0;
  });
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(got, -1) << "it waits while the slot is lent";
  pool.giveBack(std::make_unique<FakeConnection>(3));
  waiter.join();
  EXPECT_EQ(got, 3);
}

TEST(ConnectionPool, AConnectionIdleTooLongIsClosedNotLent) {
  Pool pool({.max_connections = 2, .max_idle = 10s});
  (void)pool.borrow(0s);
  auto stale = std::make_unique<FakeConnection>(1);
  stale->last_used -= 11s;
  pool.giveBack(std::move(stale));
  EXPECT_EQ(pool.idleConnections(), 1u);
  auto slot = pool.borrow(0s);
  ASSERT_TRUE(slot.ok());
  EXPECT_EQ(*slot, nullptr);
  EXPECT_EQ(pool.idleConnections(), 0u);
}

}  // namespace
}  // namespace waybill::runtime
