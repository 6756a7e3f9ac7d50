// WebhookDispatcher: one thread per endpoint, so a slow or dead receiver only delays its own
// events. It sends the endpoint's pending deliveries in order, in batches, signed. After a
// failed request it retries one event at a time with exponential backoff. An event the
// receiver answers with a server error `park_after` times is parked and the endpoint moves on;
// later events of that recipient are parked behind it, so each recipient's order holds. While
// the receiver is unavailable (no answer, 408, 429, 503) the endpoint waits; after the retry
// period or on a final 4xx the events are recorded as failed.
//
//   WebhookDispatcher dispatcher(config.database, endpoint, settings, metrics.forEndpoint(name));
//   dispatcher.start();  ...  dispatcher.wake();   // new deliveries queued
//   dispatcher.stop();   // finishes and records the request in flight, then returns
#pragma once

#include <atomic>

#include "config/config.h"
#include "runtime/webhook_dispatch_settings.h"
#include "runtime/background_worker.h"
#include "runtime/http_client.h"
#include "store/webhook_delivery_store.h"
#include "webhook/retry_schedule.h"
#include "webhookd_metrics.h"

namespace waybill::webhooks {

class WebhookDispatcher {
 public:
  // Sends only while `leading` is true (see EventCursor::leading()).
  WebhookDispatcher(DatabaseConfig database, webhook::WebhookEndpoint endpoint, DispatchSettings settings,
                    EndpointMetrics metrics, const std::atomic<bool>& leading);
  ~WebhookDispatcher() { stop(); }
  WebhookDispatcher(const WebhookDispatcher&) = delete;
  WebhookDispatcher& operator=(const WebhookDispatcher&) = delete;

  void start();
  void stop();
  void wake();
  const std::string& name() const { return endpoint_.name; }

 private:
  enum class Step { Worked, Idle, Backoff, DatabaseError };
  void run();
  Step deliverOneBatch(DeliveryStore& store);
  bool parkFollowers(DeliveryStore& store);
  Step retryOrPark(DeliveryStore& store, const PendingBatch& batch, const runtime::HttpAnswer& answer, bool may_park);
  Step recordAnswer(DeliveryStore& store, const PendingBatch& batch, const runtime::HttpAnswer& answer);
  std::vector<std::string> signedHeaders(const std::string& body, const PendingBatch& batch) const;

  const DatabaseConfig database_;
  const webhook::WebhookEndpoint endpoint_;
  const DispatchSettings settings_;
  EndpointMetrics metrics_;
  const std::atomic<bool>& leading_;
  runtime::HttpPoster poster_;
  runtime::BackgroundWorker worker_;  // runs run(); ~WebhookDispatcher stops it before members go
  std::chrono::milliseconds backoff_{0};
  // Parked rows of this endpoint appear only through this thread while it leads (replays only
  // remove them), so once none is left the follower check is skipped until it parks again.
  bool may_have_parked_ = true;
};

}  // namespace waybill::webhooks
