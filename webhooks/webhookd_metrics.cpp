#include "webhookd_metrics.h"

#include "metrics/database_probe.h"

namespace waybill::webhooks {

WebhookdMetrics::WebhookdMetrics() : registry_(std::make_shared<prometheus::Registry>()) {
  deliveries_ = &prometheus::BuildCounter()
                     .Name("waybill_webhook_deliveries_total")
                     .Help("Events per endpoint by outcome: delivered, retry (an attempt failed and will be retried), failed.")
                     .Register(*registry_);
  requests_ = &prometheus::BuildCounter().Name("waybill_webhook_requests_total").Help("HTTP requests sent.").Register(*registry_);
  request_seconds_ = &prometheus::BuildHistogram()
                          .Name("waybill_webhook_request_seconds")
                          .Help("Duration of webhook HTTP requests.")
                          .Register(*registry_);
  lag_seconds_ = &prometheus::BuildHistogram()
                      .Name("waybill_webhook_lag_seconds")
                      .Help("Time from an event's insert to its delivery.")
                      .Register(*registry_);
  pending_ = &prometheus::BuildGauge().Name("waybill_webhook_pending").Help("Deliveries waiting, per endpoint.").Register(*registry_);
  events_queued_ = &prometheus::BuildCounter()
                        .Name("waybill_webhook_events_read_total")
                        .Help("Events taken from the outbox and fanned out to endpoints.")
                        .Register(*registry_)
                        .Add({});
  events_written_ = &prometheus::BuildCounter()
                         .Name("waybill_events_total")
                         .Help("Rows written to events (and inbound_messages, as type inbound) by any daemon, "
                               "seen by webhookd; counted while webhooks are enabled.")
                         .Register(*registry_);
  outbox_depth_ = &prometheus::BuildGauge()
                       .Name("waybill_webhook_outbox_depth")
                       .Help("Events inserted and not yet fanned out.")
                       .Register(*registry_)
                       .Add({});
  database_up_ = &metrics::addDatabaseUpGauge(*registry_, "webhookd", "");
}

EndpointMetrics WebhookdMetrics::forEndpoint(const std::string& name) {
  const prometheus::Histogram::BucketBoundaries request_buckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  const prometheus::Histogram::BucketBoundaries lag_buckets{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600};
  return EndpointMetrics{&deliveries_->Add({{"endpoint", name}, {"outcome", "delivered"}}),
                         &deliveries_->Add({{"endpoint", name}, {"outcome", "retry"}}),
                         &deliveries_->Add({{"endpoint", name}, {"outcome", "failed"}}),
                         &requests_->Add({{"endpoint", name}}),
                         &request_seconds_->Add({{"endpoint", name}}, request_buckets),
                         &lag_seconds_->Add({{"endpoint", name}}, lag_buckets),
                         &pending_->Add({{"endpoint", name}})};
}

}  // namespace waybill::webhooks
