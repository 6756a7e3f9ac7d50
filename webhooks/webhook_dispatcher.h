// WebhookDispatcher: one thread per endpoint, so a slow or dead receiver only delays its own
// events. It sends the endpoint's pending deliveries in order, in batches, signed; on a
// retryable failure it retries the same batch with exponential backoff (keeping order), and
// after the retry period or on a final 4xx it records them as failed and moves on.
//
//   WebhookDispatcher dispatcher(config.database, endpoint, settings, metrics.forEndpoint(name));
//   dispatcher.start();  ...  dispatcher.wake();   // new deliveries queued
//   dispatcher.stop();   // finishes and records the request in flight, then returns
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "config/config.h"
#include "delivery_store.h"
#include "http_poster.h"
#include "webhook/retry_schedule.h"
#include "webhookd_metrics.h"

namespace waybill::webhooks {

struct DispatchSettings {
  std::string secret;
  int batch_size = 1;
  webhook::RetrySchedule retry;
  HttpPosterOptions http;
};

DispatchSettings dispatchSettings(const WebhooksConfig& config, const webhook::WebhookEndpoint& endpoint);

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
  Step recordAnswer(DeliveryStore& store, const PendingBatch& batch, const HttpAnswer& answer);
  std::vector<std::string> signedHeaders(const std::string& body, const PendingBatch& batch) const;
  // Sleeps until `duration` passed or stop(); a wake() ends the wait too when `wakeable`.
  void pause(std::chrono::milliseconds duration, bool wakeable);

  const DatabaseConfig database_;
  const webhook::WebhookEndpoint endpoint_;
  const DispatchSettings settings_;
  EndpointMetrics metrics_;
  const std::atomic<bool>& leading_;
  HttpPoster poster_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable changed_;
  bool woken_ = false;  // guarded by mutex_
  std::chrono::milliseconds backoff_{0};
};

}  // namespace waybill::webhooks
