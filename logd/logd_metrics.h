// LogdMetrics: what waybill-logd exposes on [logd] metrics_listen (docs/metrics.md): lines read,
// attempts matched or ignored, events stored by type, and how far behind Postfix's log it is.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <memory>

namespace waybill::logd {

struct LogdMetrics {
  LogdMetrics();

  std::shared_ptr<prometheus::Registry> registry;
  prometheus::Counter* lines;            // log lines read
  prometheus::Counter* attempts;         // of them, delivery attempts (status=...)
  prometheus::Counter* ignored_unknown;  // attempts for mail Waybill never recorded
  prometheus::Counter* ignored_long;     // lines over the length cap
  prometheus::Counter* duplicates;       // final outcomes already stored from a DSN
  prometheus::Counter* delivered;
  prometheus::Counter* deferred;
  prometheus::Counter* bounced;
  prometheus::Counter* store_failures;   // transactions that failed and were retried
  prometheus::Gauge* lag_seconds;        // age of the oldest line not yet committed (0 when caught up)
  prometheus::Gauge* lag_bytes;          // log bytes not yet committed
  prometheus::Gauge* waiting;            // copies' attempts parked until their recipient is recorded
  prometheus::Gauge* database_up;
};

}  // namespace waybill::logd
