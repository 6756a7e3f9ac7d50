#include "webhook/retry_schedule.h"

#include <algorithm>

namespace waybill::webhook {

AttemptVerdict classifyAttempt(long http_status) {
  if (http_status >= 200 && http_status < 300) return AttemptVerdict::Delivered;
  // No answer, a timeout, "too many requests" and "unavailable" say nothing about the event.
  if (http_status == 0 || http_status == 408 || http_status == 429 || http_status == 503)
    return AttemptVerdict::RetryEndpoint;
  if (http_status >= 500) return AttemptVerdict::RetryEvent;
  // 1xx/3xx (we do not follow redirects: the operator configured the URL) and other 4xx.
  return AttemptVerdict::Fail;
}

const char* verdictName(AttemptVerdict verdict) {
  switch (verdict) {
    case AttemptVerdict::Delivered: return "delivered";
    case AttemptVerdict::RetryEvent:
    case AttemptVerdict::RetryEndpoint: return "retry";
    case AttemptVerdict::Fail: return "failed";
  }
  return "failed";
}

std::chrono::milliseconds RetrySchedule::delayBefore(int attempt) const {
  if (attempt <= 1) return std::chrono::milliseconds(0);
  auto delay = initial;
  for (int i = 2; i < attempt && delay < maximum; ++i) delay *= 2;
  return std::min(delay, maximum);
}

}  // namespace waybill::webhook
