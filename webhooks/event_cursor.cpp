#include "event_cursor.h"

#include <poll.h>

#include <cerrno>

#include "runtime/log.h"

namespace waybill::webhooks {
namespace {

constexpr int kFanOutBatch = 1000;
constexpr auto kGaugeInterval = std::chrono::seconds(2);
constexpr auto kPruneInterval = std::chrono::minutes(1);
constexpr int kPruneBatch = 10000;  // bounded work per minute, so pruning never stalls fan-out

// Consumes pending notifications; their payload carries nothing, only "look again".
Status consumeNotifications(PgConnection& conn) {
  if (PQconsumeInput(conn.raw()) == 0 || conn.broken()) return makeError(PQerrorMessage(conn.raw()));
  while (PGnotify* notify = PQnotifies(conn.raw())) PQfreemem(notify);
  return {};
}

}  // namespace

EventCursor::EventCursor(DatabaseConfig database, std::vector<webhook::WebhookEndpoint> endpoints,
                         WebhookdMetrics& metrics, WakeEndpoint wake)
    : database_(std::move(database)), endpoints_(std::move(endpoints)), metrics_(metrics), wake_(std::move(wake)) {}

void EventCursor::start() { thread_ = std::thread([this] { run(); }); }

void EventCursor::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void EventCursor::run() {
  while (!stopping_) {
    auto conn = PgConnection::connect(database_);
    if (conn) {
      metrics_.databaseUp().Set(1);
      auto status = followOnce(*conn);
      if (status || stopping_) continue;
      log::warning("event cursor: {}; reconnecting", status.error());
    } else {
      log::warning("event cursor: {}; retrying", conn.error());
    }
    leading_ = false;
    metrics_.databaseUp().Set(0);
    for (int i = 0; i < 10 && !stopping_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// LISTEN before draining: an event committed during the drain is then either drained or notified.
Status EventCursor::followOnce(PgConnection& conn) {
  DeliveryStore store(conn);
  while (!stopping_) {
    auto leading = store.tryLead();
    if (!leading) return makeError(leading.error());
    if (*leading) break;
    log::info("another waybill-webhookd delivers for this database; standing by");
    for (int i = 0; i < 10 && !stopping_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  leading_ = !stopping_;
  if (auto enabled = store.setEnabled(!endpoints_.empty()); !enabled) return enabled;
  if (auto listening = store.listen(); !listening) return listening;
  auto next_gauges = std::chrono::steady_clock::now();
  auto next_prune = next_gauges;
  while (!stopping_) {
    if (auto drained = drainOutbox(store); !drained) return drained;
    if (std::chrono::steady_clock::now() >= next_gauges) {
      updateGauges(store);
      next_gauges = std::chrono::steady_clock::now() + kGaugeInterval;
    }
    if (std::chrono::steady_clock::now() >= next_prune) {
      if (auto pruned = store.pruneFinished(kPruneBatch); !pruned) return makeError(pruned.error());
      next_prune = std::chrono::steady_clock::now() + kPruneInterval;
    }
    pollfd waiting{PQsocket(conn.raw()), POLLIN, 0};
    if (poll(&waiting, 1, 1000) < 0 && errno != EINTR) return makeError("poll on the database socket failed");
    if (auto consumed = consumeNotifications(conn); !consumed) return consumed;
  }
  return {};
}

Status EventCursor::drainOutbox(DeliveryStore& store) {
  while (!stopping_) {
    auto moved = store.fanOut(endpoints_, kFanOutBatch);
    if (!moved) return makeError(moved.error());
    metrics_.eventsQueued().Increment(static_cast<double>(moved->taken));
    for (const auto& [endpoint, count] : moved->queued) wake_(endpoint);
    for (const auto& [type, count] : moved->types) metrics_.eventsWritten(type).Increment(static_cast<double>(count));
    if (moved->taken < static_cast<std::size_t>(kFanOutBatch)) return {};
  }
  return {};
}

void EventCursor::updateGauges(DeliveryStore& store) {
  if (auto depth = store.outboxDepth()) metrics_.outboxDepth().Set(*depth);
  for (const char* status : {"pending", "parked"}) {
    auto counts = store.countsByEndpoint(status);
    if (!counts) return;
    for (const auto& endpoint : endpoints_) {
      auto it = counts->find(endpoint.name);
      const double count = it == counts->end() ? 0 : it->second;
      (status == std::string_view("pending") ? metrics_.pending(endpoint.name) : metrics_.parked(endpoint.name)).Set(count);
    }
  }
}

}  // namespace waybill::webhooks
