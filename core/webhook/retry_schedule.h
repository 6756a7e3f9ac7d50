// RetrySchedule: what webhookd does after a delivery attempt. A receiver that answers with a
// server error (500, 502, 504, ...) may be refusing this one event: it is retried with
// exponential backoff (doubling from `initial`, capped at `maximum`) and parked after
// `park_after` attempts, so the endpoint moves on. A receiver that is unavailable (no answer,
// 408, 429, 503) is refusing everything: the endpoint waits, retrying, until `period` has
// passed since the first failure; then the events are recorded as failed. Any other 4xx is the
// receiver's final word and is not retried.
//
//   RetrySchedule schedule{1s, 10min, 24h, 5};
//   auto verdict = classifyAttempt(status);          // status 0: no HTTP answer at all
//   if (verdict == AttemptVerdict::RetryEvent && schedule.parks(attempts + 1)) park();
//   else if (!schedule.givenUp(first_failure, now)) sleep(schedule.delayBefore(attempts + 2));
#pragma once

#include <chrono>

namespace waybill::webhook {

enum class AttemptVerdict {
  Delivered,      // 2xx
  RetryEvent,     // the receiver answered with a server error: retry, then park the event
  RetryEndpoint,  // the receiver is unavailable: the endpoint waits, nothing is parked
  Fail,           // final (4xx other than 408/429, 1xx, 3xx)
};

// `http_status` is 0 when no response arrived (connection refused, timeout, TLS error).
AttemptVerdict classifyAttempt(long http_status);
const char* verdictName(AttemptVerdict verdict);

struct RetrySchedule {
  std::chrono::milliseconds initial{1000};
  std::chrono::milliseconds maximum{std::chrono::minutes(10)};
  std::chrono::seconds period{std::chrono::hours(24)};
  int park_after = 5;  // attempts; 0: never park

  // Delay before attempt number `attempt` (2 = first retry): initial * 2^(attempt-2), capped.
  std::chrono::milliseconds delayBefore(int attempt) const;
  // True when failures began so long ago that no more retries are due.
  bool givenUp(std::chrono::system_clock::time_point first_failure, std::chrono::system_clock::time_point now) const {
    return now - first_failure >= period;
  }
  // True when an event refused `attempts` times (this one included) is to be parked.
  bool parks(int attempts) const { return park_after > 0 && attempts >= park_after; }
};

}  // namespace waybill::webhook
