// DeliveryStore: every SQL statement of waybill-webhookd, over one connection (see
// sql/migrations/0008_webhooks.sql). The outbox is drained into per-endpoint delivery rows
// (fanOut); each endpoint's dispatcher then reads its pending rows in order and records what
// happened to each batch. Statements are prepared once per connection: planning a join over the
// monthly partitions of `events` costs more than running it.
//
//   DeliveryStore store(conn);
//   auto moved = store.fanOut(config.webhooks.endpoints, 500);   // rows taken from the outbox
//   auto batch = store.pending("crm", 50);
//   store.markDelivered("crm", ids);
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "db/pg_connection.h"
#include "webhook/webhook_endpoint.h"
#include "webhook/webhook_event.h"

namespace waybill::webhooks {

struct PendingBatch {
  std::vector<webhook::WebhookEvent> events;
  int attempts = 0;                           // the most any of them had
  std::optional<std::int64_t> first_failure;  // unix seconds of the earliest failure, if any
};

struct FanOutResult {
  std::size_t taken = 0;  // outbox rows consumed
  std::map<std::string, std::size_t> queued;  // deliveries created, per endpoint
  std::map<std::string, std::size_t> types;   // events taken, per type (all daemons' events)
};

class DeliveryStore {
 public:
  // One store per connection (it remembers what it prepared there).
  explicit DeliveryStore(PgConnection& conn) : conn_(conn) {}

  // Turns the outbox triggers on (endpoints configured) or off (none).
  Status setEnabled(bool enabled);
  // Moves up to `limit` outbox rows, in order, into delivery rows of the endpoints that want them.
  Result<FanOutResult> fanOut(const std::vector<webhook::WebhookEndpoint>& endpoints, int limit);
  // The oldest pending deliveries of an endpoint, in delivery order.
  Result<PendingBatch> pending(const std::string& endpoint, int limit);
  // Each returns the seconds from enqueueing to now, one per event (for the lag histogram).
  Result<std::vector<double>> markDelivered(const std::string& endpoint, const std::vector<std::string>& ids);
  Status markRetry(const std::string& endpoint, const std::vector<std::string>& ids, const std::string& error);
  Status markFailed(const std::string& endpoint, const std::vector<std::string>& ids, const std::string& error);
  // Backlog gauges: pending deliveries per endpoint, and rows still in the outbox.
  Result<std::map<std::string, double>> pendingCounts();
  Result<double> outboxDepth();
  // Deletes up to `limit` finished rows: delivered ones after 7 days, failed ones after 30
  // (`waybill webhooks replay` reads `events`, not these rows). Returns how many went.
  Result<std::size_t> pruneFinished(int limit);

 private:
  Result<PgResult> run(const std::string& name, const char* sql, const std::vector<PgParam>& params);

  PgConnection& conn_;
  std::set<std::string, std::less<>> prepared_;
};

}  // namespace waybill::webhooks
