#include "logd_metrics.h"

#include "store/database_probe.h"
#include "runtime/metrics_family.h"

namespace waybill::logd {

LogdMetrics::LogdMetrics() : registry(std::make_shared<prometheus::Registry>()) {
  metrics::labelledCounters(*registry, "waybill_logd_lines_total",
                            "Log lines read, by kind: attempt (a delivery status line), other, too_long.", "kind",
                            {{"all", &lines}, {"attempt", &attempts}, {"too_long", &ignored_long}});
  metrics::labelledCounters(*registry, "waybill_logd_attempts_ignored_total",
                            "Delivery attempts not stored, by reason: unknown (mail Waybill never recorded), "
                            "duplicate (the outcome was stored from a DSN already).",
                            "reason", {{"unknown", &ignored_unknown}, {"duplicate", &duplicates}});
  metrics::labelledCounters(*registry, "waybill_logd_events_total", "Events stored from Postfix's log, by type.",
                            "type", {{"delivered", &delivered}, {"deferred", &deferred}, {"bounced", &bounced}});
  store_failures = &metrics::counter(*registry, "waybill_logd_store_failures_total",
                                     "Batches whose transaction failed (database away); each is retried until stored.");
  lag_seconds = &metrics::gauge(*registry, "waybill_logd_lag_seconds",
                                "Age of the oldest log line not yet stored; 0 when the reader is caught up.");
  lag_bytes = &metrics::gauge(*registry, "waybill_logd_lag_bytes", "Bytes of Postfix's log not yet stored.");
  waiting = &metrics::gauge(*registry, "waybill_logd_attempts_waiting",
                            "Attempts of per-recipient copies read before the recipient was recorded, kept until it is.");
  database_up = &metrics::addDatabaseUpGauge(*registry, "logd", "the last transaction committed");
}

}  // namespace waybill::logd
