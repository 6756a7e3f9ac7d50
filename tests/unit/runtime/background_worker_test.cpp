#include "runtime/background_worker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

namespace waybill::runtime {
namespace {

using namespace std::chrono_literals;

TEST(BackgroundWorker, EveryRunsARoundAtOnceAndStopEndsThePause) {
  BackgroundWorker worker;
  std::atomic<int> rounds{0};
  worker.every(1h, [&] { ++rounds; });
  while (rounds == 0) std::this_thread::sleep_for(1ms);
  const auto asked = std::chrono::steady_clock::now();
  worker.stop();  // the hour-long pause must not hold it
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 5s);
  EXPECT_EQ(rounds, 1);
  EXPECT_TRUE(worker.stopping());
}

TEST(BackgroundWorker, WakeEndsOnlyAWakeablePause) {
  BackgroundWorker worker;
  std::atomic<int> woken{0};
  worker.start([&] {
    while (!worker.stopping()) {
      worker.pause(1h, /*wakeable=*/true);
      if (!worker.stopping()) ++woken;
    }
  });
  worker.wake();
  while (woken == 0) std::this_thread::sleep_for(1ms);
  worker.stop();
  EXPECT_GE(woken, 1);
}

TEST(BackgroundWorker, StopWithoutStartAndTwiceIsHarmless) {
  BackgroundWorker worker;
  worker.stop();
  worker.stop();
  EXPECT_TRUE(worker.stopping());
}

}  // namespace
}  // namespace waybill::runtime
