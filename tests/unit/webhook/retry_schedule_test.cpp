#include "webhook/retry_schedule.h"

#include <gtest/gtest.h>

namespace waybill::webhook {
namespace {

using namespace std::chrono_literals;

TEST(RetrySchedule, ClassifiesAnswers) {
  const std::pair<long, AttemptVerdict> cases[] = {
      {200, AttemptVerdict::Delivered},     {204, AttemptVerdict::Delivered},
      {0, AttemptVerdict::RetryEndpoint},   {408, AttemptVerdict::RetryEndpoint},
      {429, AttemptVerdict::RetryEndpoint}, {503, AttemptVerdict::RetryEndpoint},
      {500, AttemptVerdict::RetryEvent},    {502, AttemptVerdict::RetryEvent},
      {504, AttemptVerdict::RetryEvent},    {599, AttemptVerdict::RetryEvent},
      {400, AttemptVerdict::Fail},          {401, AttemptVerdict::Fail},
      {404, AttemptVerdict::Fail},      {410, AttemptVerdict::Fail},      {301, AttemptVerdict::Fail}};
  for (const auto& [status, verdict] : cases) EXPECT_EQ(classifyAttempt(status), verdict) << status;
}

TEST(RetrySchedule, DoublesUpToTheCap) {
  const RetrySchedule schedule{100ms, 1s, 60s};
  EXPECT_EQ(schedule.delayBefore(1), 0ms);
  EXPECT_EQ(schedule.delayBefore(2), 100ms);
  EXPECT_EQ(schedule.delayBefore(3), 200ms);
  EXPECT_EQ(schedule.delayBefore(5), 800ms);
  EXPECT_EQ(schedule.delayBefore(6), 1000ms);
  EXPECT_EQ(schedule.delayBefore(1000000), 1000ms) << "no overflow after many attempts";
}

TEST(RetrySchedule, ParksAfterItsAttempts) {
  const RetrySchedule schedule{100ms, 1s, 60s, 3};
  EXPECT_FALSE(schedule.parks(1));
  EXPECT_FALSE(schedule.parks(2));
  EXPECT_TRUE(schedule.parks(3));
  EXPECT_TRUE(schedule.parks(4)) << "attempts made while the receiver was unavailable count too";
  const RetrySchedule never{100ms, 1s, 60s, 0};
  EXPECT_FALSE(never.parks(1000)) << "park_after = 0 keeps the endpoint waiting";
}

TEST(RetrySchedule, GivesUpAfterThePeriod) {
  const RetrySchedule schedule{100ms, 1s, 60s};
  const auto start = std::chrono::system_clock::time_point{} + std::chrono::hours(1000);
  EXPECT_FALSE(schedule.givenUp(start, start + 59s));
  EXPECT_TRUE(schedule.givenUp(start, start + 60s));
}

}  // namespace
}  // namespace waybill::webhook
