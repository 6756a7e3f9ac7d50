#include "webhookd_metrics.h"

#include "store/database_probe.h"
#include "runtime/metrics_family.h"

namespace waybill::webhooks {

WebhookdMetrics::WebhookdMetrics() : registry_(std::make_shared<prometheus::Registry>()) {
  deliveries_ = &metrics::counterFamily(
      *registry_, "waybill_webhook_deliveries_total",
      "Events per endpoint by outcome: delivered, retry (an attempt failed and will be retried), failed, "
      "parked (set aside until replayed).");
  requests_ = &metrics::counterFamily(*registry_, "waybill_webhook_requests_total", "HTTP requests sent.");
  request_seconds_ =
      &metrics::histogramFamily(*registry_, "waybill_webhook_request_seconds", "Duration of webhook HTTP requests.");
  lag_seconds_ = &metrics::histogramFamily(*registry_, "waybill_webhook_lag_seconds",
                                           "Time from an event's insert to its delivery.");
  pending_ = &metrics::gaugeFamily(*registry_, "waybill_webhook_pending", "Deliveries waiting, per endpoint.");
  parked_ = &metrics::gaugeFamily(*registry_, "waybill_webhook_parked",
                                  "Deliveries parked, per endpoint, until `waybill webhooks replay` sends them again.");
  events_queued_ = &metrics::counter(*registry_, "waybill_webhook_events_read_total",
                                     "Events taken from the outbox and fanned out to endpoints.");
  events_written_ =
      &metrics::counterFamily(*registry_, "waybill_events_total",
                              "Rows written to events (and inbound_messages, as type inbound) by any daemon, "
                              "seen by webhookd; counted while webhooks are enabled.");
  outbox_depth_ =
      &metrics::gauge(*registry_, "waybill_webhook_outbox_depth", "Events inserted and not yet fanned out.");
  database_up_ = &metrics::addDatabaseUpGauge(*registry_, "webhookd", "");
}

EndpointMetrics WebhookdMetrics::forEndpoint(const std::string& name) {
  const prometheus::Histogram::BucketBoundaries request_buckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  const prometheus::Histogram::BucketBoundaries lag_buckets{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600};
  parked_->Add({{"endpoint", name}});  // exported as 0 from the start, set by the event cursor
  return EndpointMetrics{&deliveries_->Add({{"endpoint", name}, {"outcome", "delivered"}}),
                         &deliveries_->Add({{"endpoint", name}, {"outcome", "retry"}}),
                         &deliveries_->Add({{"endpoint", name}, {"outcome", "failed"}}),
                         &deliveries_->Add({{"endpoint", name}, {"outcome", "parked"}}),
                         &requests_->Add({{"endpoint", name}}),
                         &request_seconds_->Add({{"endpoint", name}}, request_buckets),
                         &lag_seconds_->Add({{"endpoint", name}}, lag_buckets),
                         &pending_->Add({{"endpoint", name}})};
}

}  // namespace waybill::webhooks
