#include "webhook_dispatcher.h"

#include <fmt/format.h>

#include <ctime>
#include <optional>

#include "runtime/log.h"
#include "webhook/webhook_signature.h"

namespace waybill::webhooks {
namespace {

std::vector<std::string> idsOf(const PendingBatch& batch) {
  std::vector<std::string> ids;
  for (const auto& event : batch.events) ids.push_back(event.id);
  return ids;
}

std::string describeAnswer(const runtime::HttpAnswer& answer) {
  if (answer.status == 0) return answer.error;
  std::string excerpt = answer.error;
  for (auto& c : excerpt)
    if (c == '\n' || c == '\r') c = ' ';
  return excerpt.empty() ? fmt::format("HTTP {}", answer.status) : fmt::format("HTTP {}: {}", answer.status, excerpt);
}

}  // namespace

WebhookDispatcher::WebhookDispatcher(DatabaseConfig database, webhook::WebhookEndpoint endpoint,
                                     DispatchSettings settings, EndpointMetrics metrics,
                                     const std::atomic<bool>& leading)
    : database_(std::move(database)),
      endpoint_(std::move(endpoint)),
      settings_(std::move(settings)),
      metrics_(metrics),
      leading_(leading),
      poster_(settings_.http) {}

void WebhookDispatcher::start() { worker_.start([this] { run(); }); }

void WebhookDispatcher::stop() { worker_.stop(); }

void WebhookDispatcher::wake() { worker_.wake(); }

void WebhookDispatcher::run() {
  std::optional<PgConnection> conn;
  std::optional<DeliveryStore> store;  // lives as long as its connection
  while (!worker_.stopping()) {
    if (!conn || conn->broken()) {
      store.reset();
      conn.reset();
      auto connected = PgConnection::connect(database_);
      if (!connected) {
        log::warning("endpoint {}: {}; retrying", endpoint_.name, connected.error());
        worker_.pause(std::chrono::seconds(1), false);
        continue;
      }
      conn.emplace(std::move(*connected));
      store.emplace(*conn);
    }
    switch (deliverOneBatch(*store)) {
      case Step::Worked: break;
      case Step::Idle: worker_.pause(std::chrono::seconds(1), true); break;
      case Step::Backoff: worker_.pause(backoff_, false); break;
      case Step::DatabaseError:
        may_have_parked_ = true;
        store.reset();
        conn.reset();
        worker_.pause(std::chrono::seconds(1), false);
        break;
    }
  }
}

WebhookDispatcher::Step WebhookDispatcher::deliverOneBatch(DeliveryStore& store) {
  if (!leading_) {
    may_have_parked_ = true;  // another instance may park meanwhile
    return Step::Idle;
  }
  if (!parkFollowers(store)) return Step::DatabaseError;
  auto batch = store.pending(endpoint_.name, settings_.batch_size);
  if (!batch) {
    log::warning("endpoint {}: {}", endpoint_.name, batch.error());
    return Step::DatabaseError;
  }
  if (batch->events.empty()) return Step::Idle;
  if (batch->attempts.front() > 0) batch->keepOnlyHead();
  const auto now = std::chrono::system_clock::now();
  const auto first_failure = batch->firstFailure();
  if (first_failure && settings_.retry.givenUp(std::chrono::system_clock::from_time_t(*first_failure), now)) {
    log::warning("endpoint {}: giving up on {} event(s) after {} attempts", endpoint_.name, batch->events.size(),
                 batch->maxAttempts());
    metrics_.failed->Increment(static_cast<double>(batch->events.size()));
    auto marked = store.markFailed(endpoint_.name, idsOf(*batch), "retry period over");
    return marked ? Step::Worked : Step::DatabaseError;
  }
  const std::string body = webhook::webhookBody(batch->events);
  const runtime::HttpAnswer answer = poster_.post(endpoint_.url, body, signedHeaders(body, *batch));
  metrics_.requests->Increment();
  metrics_.request_seconds->Observe(answer.seconds);
  return recordAnswer(store, *batch, answer);
}

bool WebhookDispatcher::parkFollowers(DeliveryStore& store) {
  if (!may_have_parked_) return true;
  auto followers = store.parkFollowers(endpoint_.name, settings_.batch_size);
  if (!followers) {
    log::warning("endpoint {}: {}", endpoint_.name, followers.error());
    return false;
  }
  may_have_parked_ = followers->any_parked;
  if (followers->parked > 0) {
    log::info("endpoint {}: {} event(s) parked behind an earlier parked event of their recipient", endpoint_.name,
              followers->parked);
    metrics_.parked->Increment(static_cast<double>(followers->parked));
  }
  return true;
}

// The result is recorded even while stopping: a clean stop never resends what was delivered.
WebhookDispatcher::Step WebhookDispatcher::recordAnswer(DeliveryStore& store, const PendingBatch& batch,
                                                        const runtime::HttpAnswer& answer) {
  const auto ids = idsOf(batch);
  const auto count = static_cast<double>(ids.size());
  switch (webhook::classifyAttempt(answer.status)) {
    case webhook::AttemptVerdict::Delivered: {
      auto lags = store.markDelivered(endpoint_.name, ids);
      if (!lags) return Step::DatabaseError;
      metrics_.delivered->Increment(count);
      for (double lag : *lags) metrics_.lag_seconds->Observe(lag);
      return Step::Worked;
    }
    case webhook::AttemptVerdict::RetryEvent: return retryOrPark(store, batch, answer, true);
    case webhook::AttemptVerdict::RetryEndpoint: return retryOrPark(store, batch, answer, false);
    case webhook::AttemptVerdict::Fail:
      log::warning("endpoint {}: {}; {} event(s) recorded as failed, not retried", endpoint_.name,
                   describeAnswer(answer), ids.size());
      metrics_.failed->Increment(count);
      return store.markFailed(endpoint_.name, ids, describeAnswer(answer)) ? Step::Worked : Step::DatabaseError;
  }
  return Step::DatabaseError;
}

// Only a lone event is parked: a refused batch is first retried event by event, so the events
// beside the refused one are not parked with it.
WebhookDispatcher::Step WebhookDispatcher::retryOrPark(DeliveryStore& store, const PendingBatch& batch,
                                                       const runtime::HttpAnswer& answer, bool may_park) {
  const auto ids = idsOf(batch);
  const int attempt = batch.maxAttempts() + 1;
  if (may_park && ids.size() == 1 && settings_.retry.parks(attempt)) {
    log::warning("endpoint {}: {} (attempt {}); event {} parked, moving on", endpoint_.name, describeAnswer(answer),
                 attempt, ids.front());
    metrics_.parked->Increment();
    may_have_parked_ = true;
    return store.markParked(endpoint_.name, ids, describeAnswer(answer)) ? Step::Worked : Step::DatabaseError;
  }
  backoff_ = settings_.retry.delayBefore(attempt + 1);
  log::warning("endpoint {}: {} (attempt {}); retrying in {} ms", endpoint_.name, describeAnswer(answer), attempt,
               backoff_.count());
  metrics_.retried->Increment(static_cast<double>(ids.size()));
  return store.markRetry(endpoint_.name, ids, describeAnswer(answer)) ? Step::Backoff : Step::DatabaseError;
}

std::vector<std::string> WebhookDispatcher::signedHeaders(const std::string& body, const PendingBatch& batch) const {
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  return {fmt::format("{}: {}", webhook::kSignatureHeader, webhook::signWebhook(settings_.secret, now, body)),
          fmt::format("X-Waybill-Timestamp: {}", now),
          fmt::format("X-Waybill-Event-Ids: {}", webhook::eventIdList(batch.events)),
          fmt::format("X-Waybill-Attempt: {}", batch.maxAttempts() + 1)};
}

}  // namespace waybill::webhooks
