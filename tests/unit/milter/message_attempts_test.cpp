#include "stages/message_attempts.h"

#include <gtest/gtest.h>

#include <thread>

namespace waybill::milter {
namespace {

using std::chrono::milliseconds;

TEST(MessageAttempts, ARetryWaitsForTheEarlierAttemptOfTheSameMessage) {
  MessageAttempts attempts;
  auto first = attempts.take("m1", milliseconds(0));
  ASSERT_TRUE(first);
  EXPECT_FALSE(attempts.take("m1", milliseconds(50)));  // still at work: the retry is refused
  EXPECT_TRUE(attempts.take("m2", milliseconds(0)));     // another message is not held up
  std::thread finisher([&] {
    std::this_thread::sleep_for(milliseconds(100));
    first.reset();
  });
  const auto started = std::chrono::steady_clock::now();
  auto retry = attempts.take("m1", milliseconds(5000));
  finisher.join();
  ASSERT_TRUE(retry);
  EXPECT_GE(std::chrono::steady_clock::now() - started, milliseconds(90));
}

}  // namespace
}  // namespace waybill::milter
