// RetrySchedule: what webhookd does after a delivery attempt. Transport errors, timeouts, 5xx,
// 408 and 429 are retried with exponential backoff (doubling from `initial`, capped at
// `maximum`) until `period` has passed since the first failure; then the events are recorded
// as failed. Any other 4xx is the receiver's final word and is not retried.
//
//   RetrySchedule schedule{1s, 10min, 24h};
//   auto verdict = classifyAttempt(status);          // status 0: no HTTP answer at all
//   if (verdict == AttemptVerdict::Retry && !schedule.givenUp(first_failure, now))
//     sleep(schedule.delayBefore(attempts + 1));
#pragma once

#include <chrono>

namespace waybill::webhook {

enum class AttemptVerdict { Delivered, Retry, Fail };

// `http_status` is 0 when no response arrived (connection refused, timeout, TLS error).
AttemptVerdict classifyAttempt(long http_status);
const char* verdictName(AttemptVerdict verdict);

struct RetrySchedule {
  std::chrono::milliseconds initial{1000};
  std::chrono::milliseconds maximum{std::chrono::minutes(10)};
  std::chrono::seconds period{std::chrono::hours(24)};

  // Delay before attempt number `attempt` (2 = first retry): initial * 2^(attempt-2), capped.
  std::chrono::milliseconds delayBefore(int attempt) const;
  // True when failures began so long ago that no more retries are due.
  bool givenUp(std::chrono::system_clock::time_point first_failure, std::chrono::system_clock::time_point now) const {
    return now - first_failure >= period;
  }
};

}  // namespace waybill::webhook
