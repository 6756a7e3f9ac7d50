// WebhookdMetrics: what waybill-webhookd exposes on [webhooks] metrics_listen (see
// docs/metrics.md). Families live in a prometheus-cpp Registry; each endpoint's thread gets its
// own label set, fetched once, so counting is a lock-free atomic add.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

namespace waybill::webhooks {

struct EndpointMetrics {
  prometheus::Counter* delivered;      // events the receiver took (2xx)
  prometheus::Counter* retried;        // events of attempts that will be retried
  prometheus::Counter* failed;         // events given up on (4xx or retry period over)
  prometheus::Counter* parked;         // events parked (refused too often, or behind such an event)
  prometheus::Counter* requests;       // HTTP requests made
  prometheus::Histogram* request_seconds;
  prometheus::Histogram* lag_seconds;  // from the event's insert to its delivery
  prometheus::Gauge* pending;          // backlog of this endpoint
};

class WebhookdMetrics {
 public:
  WebhookdMetrics();
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }
  EndpointMetrics forEndpoint(const std::string& name);

  prometheus::Counter& eventsQueued() { return *events_queued_; }  // outbox rows taken
  // Events written by any daemon (pipe included, which has no endpoint of its own), by type.
  prometheus::Counter& eventsWritten(const std::string& type) { return events_written_->Add({{"type", type}}); }
  prometheus::Gauge& outboxDepth() { return *outbox_depth_; }
  prometheus::Gauge& databaseUp() { return *database_up_; }
  prometheus::Gauge& pending(const std::string& endpoint) { return pending_->Add({{"endpoint", endpoint}}); }
  prometheus::Gauge& parked(const std::string& endpoint) { return parked_->Add({{"endpoint", endpoint}}); }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* deliveries_;
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Histogram>* request_seconds_;
  prometheus::Family<prometheus::Histogram>* lag_seconds_;
  prometheus::Family<prometheus::Gauge>* pending_;
  prometheus::Family<prometheus::Gauge>* parked_;
  prometheus::Family<prometheus::Counter>* events_written_;
  prometheus::Counter* events_queued_;
  prometheus::Gauge* outbox_depth_;
  prometheus::Gauge* database_up_;
};

}  // namespace waybill::webhooks
