// EventCursor: follows new events for waybill-webhookd. One thread LISTENs on `waybill_webhooks`
// (NOTIFYed by the outbox triggers of sql/migrations/0008_webhooks.sql), drains the outbox into
// per-endpoint delivery rows in order, and wakes the dispatchers that got work. The outbox is in
// PostgreSQL, so a restart resumes exactly where the last run stopped. It also polls once a
// second, so a lost notification (reconnect) delays events by a second at most.
// Only one webhookd per database delivers: the cursor holds a session advisory lock, and
// dispatchers send only while leading() is true; a second instance stands by until it gets it.
//
//   EventCursor cursor(config.database, webhook::webhookEndpoints(config.webhooks).value(), metrics,
//                      [&](const std::string& endpoint) { dispatchers[endpoint]->wake(); });
//   cursor.start();  ...  cursor.stop();
#pragma once

#include <atomic>
#include <functional>
#include <thread>

#include "config/config.h"
#include "store/webhook_delivery_store.h"
#include "webhookd_metrics.h"

namespace waybill::webhooks {

class EventCursor {
 public:
  using WakeEndpoint = std::function<void(const std::string&)>;

  EventCursor(DatabaseConfig database, std::vector<webhook::WebhookEndpoint> endpoints, WebhookdMetrics& metrics,
              WakeEndpoint wake);
  ~EventCursor() { stop(); }
  EventCursor(const EventCursor&) = delete;
  EventCursor& operator=(const EventCursor&) = delete;

  void start();
  void stop();
  const std::atomic<bool>& leading() const { return leading_; }

 private:
  void run();
  Status followOnce(PgConnection& conn);
  Status drainOutbox(DeliveryStore& store);
  void updateGauges(DeliveryStore& store);

  const DatabaseConfig database_;
  const std::vector<webhook::WebhookEndpoint> endpoints_;
  WebhookdMetrics& metrics_;
  WakeEndpoint wake_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> leading_{false};
};

}  // namespace waybill::webhooks
