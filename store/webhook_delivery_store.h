// DeliveryStore: every SQL statement of waybill-webhookd, over one connection (see
// sql/migrations/0008_webhooks.sql). The outbox is drained into per-endpoint delivery rows
// (fanOut); each endpoint's dispatcher then reads its pending rows in order and records what
// happened to each batch. An event the receiver keeps refusing is parked (sql/migrations/
// 0016_webhook_parking.sql), and later events of its recipient are parked behind it. Statements are prepared once per connection: planning a join over the
// monthly partitions of `events` costs more than running it.
//
//   DeliveryStore store(conn);
//   auto moved = store.fanOut(endpoints, 500);   // rows taken from the outbox
//   auto batch = store.pending("crm", 50);
//   store.markDelivered("crm", ids);
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/pg_connection.h"
#include "webhook/webhook_endpoint.h"
#include "webhook/webhook_event.h"

namespace waybill::webhooks {

struct PendingBatch {
  std::vector<webhook::WebhookEvent> events;
  std::vector<int> attempts;                                // per event, made so far
  std::vector<std::optional<std::int64_t>> first_failures;  // per event, unix seconds

  int maxAttempts() const;
  std::optional<std::int64_t> firstFailure() const;  // the earliest, if any
  // Retries go one event at a time, so the event a receiver refuses is found and parked alone.
  void keepOnlyHead();
};

struct FanOutResult {
  std::size_t taken = 0;  // outbox rows consumed
  std::map<std::string, std::size_t> queued;  // deliveries created, per endpoint
  std::map<std::string, std::size_t> types;   // events taken, per type (all daemons' events)
};

// One parked delivery, for `waybill webhooks list`.
struct ParkedDelivery {
  std::string endpoint, event_id, type, recipient, parked_at, last_error;
  int attempts = 0;
  std::string behind;  // the earlier parked event it waits for; empty for one parked on its own
};

struct ReplayCount {
  std::size_t resent = 0;  // parked (or failed) deliveries made pending again
  std::size_t moved = 0;   // pending deliveries of the same recipients moved behind them
};

// `waybill webhooks list`: one endpoint's deliveries by status, and the age of its oldest pending.
struct EndpointCounts {
  std::string endpoint, pending, delivered, failed, parked, oldest_seconds;
};

// An event of webhook_event_source, for `waybill webhooks replay --since`.
struct SourceEvent {
  std::string source, id, occurred_at, type, sender;
  std::string recipient_key;  // lower-cased recipient of an `events` row, else empty
};
struct Requeued {
  std::string endpoint;
  const SourceEvent* event;
};

class DeliveryStore {
 public:
  // One store per connection (it remembers what it prepared there).
  explicit DeliveryStore(PgConnection& conn) : conn_(conn) {}

  // Turns the outbox triggers on (endpoints configured) or off (none).
  Status setEnabled(bool enabled);
  // Moves up to `limit` outbox rows, in order, into delivery rows of the endpoints that want them.
  Result<FanOutResult> fanOut(const std::vector<webhook::WebhookEndpoint>& endpoints, int limit);
  // Parks the pending deliveries, among the next `limit`, whose recipient has a parked event at
  // this endpoint (so they are never sent ahead of it).
  struct Followers {
    std::size_t parked = 0;   // parked now
    bool any_parked = false;  // the endpoint had parked deliveries (else no need to ask again)
  };
  Result<Followers> parkFollowers(const std::string& endpoint, int limit);
  // The oldest pending deliveries of an endpoint, in delivery order, skipping any whose recipient
  // has a parked event.
  Result<PendingBatch> pending(const std::string& endpoint, int limit);
  // Each returns the seconds from enqueueing to now, one per event (for the lag histogram).
  Result<std::vector<double>> markDelivered(const std::string& endpoint, const std::vector<std::string>& ids);
  Status markRetry(const std::string& endpoint, const std::vector<std::string>& ids, const std::string& error);
  Status markFailed(const std::string& endpoint, const std::vector<std::string>& ids, const std::string& error);
  Status markParked(const std::string& endpoint, const std::vector<std::string>& ids, const std::string& error);
  // Gauges: deliveries per endpoint in `status` (pending, parked), and rows still in the outbox.
  Result<std::map<std::string, double>> countsByEndpoint(const std::string& status);
  Result<double> outboxDepth();
  // The oldest `limit` parked deliveries, and how many there are in all.
  Result<std::pair<std::vector<ParkedDelivery>, std::size_t>> parked(int limit);
  // `waybill webhooks replay`: makes parked deliveries pending again, of one endpoint or all
  // (`endpoint` empty). With `event_id`, that event (parked or failed) and the parked events of
  // its recipient; without, every parked one. They go behind everything pending, in their first
  // order, and so do the pending events of their recipients, so each recipient's order holds.
  Result<ReplayCount> replayParked(const std::string& endpoint, const std::string& event_id);
  // Deletes up to `limit` finished rows: delivered ones after 7 days, failed ones after 30
  // (`waybill webhooks replay --since` reads `events`, not these rows); parked rows stay until
  // replayed. Returns how many went.
  Result<std::size_t> pruneFinished(int limit);

  // One webhookd delivers per database: true when this session holds (or now took) the lock; it
  // lives as long as the session, so a crashed holder's goes with its connection.
  Result<bool> tryLead();
  // Notifications on channel waybill_webhooks (the outbox triggers) from now on.
  Status listen();

  // The operator's command.
  Result<std::vector<EndpointCounts>> endpointCounts();
  bool isTime(const std::string& text);  // PostgreSQL reads it as a timestamptz
  Result<std::vector<SourceEvent>> eventsSince(const std::string& since);
  // New deliveries (or pending again) behind everything pending, in the order given.
  Status requeue(const std::vector<Requeued>& deliveries);

 private:
  // Statements are prepared once per connection (PgConnection::execPrepared) under generic plans.
  Result<PgResult> run(const std::string& name, const char* sql, const std::vector<PgParam>& params);
  Status markAttempted(const std::string& name, std::string_view also_set, const std::string& endpoint,
                       const std::vector<std::string>& ids, const std::string& error);

  PgConnection& conn_;
  bool plan_mode_set_ = false;
};

}  // namespace waybill::webhooks
