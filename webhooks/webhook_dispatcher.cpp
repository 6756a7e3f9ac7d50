#include "webhook_dispatcher.h"

#include <fmt/format.h>

#include <ctime>

#include "log/log.h"
#include "webhook/webhook_signature.h"

namespace waybill::webhooks {
namespace {

std::vector<std::string> idsOf(const PendingBatch& batch) {
  std::vector<std::string> ids;
  for (const auto& event : batch.events) ids.push_back(event.id);
  return ids;
}

std::string describeAnswer(const HttpAnswer& answer) {
  if (answer.status == 0) return answer.error;
  std::string excerpt = answer.error;
  for (auto& c : excerpt)
    if (c == '\n' || c == '\r') c = ' ';
  return excerpt.empty() ? fmt::format("HTTP {}", answer.status) : fmt::format("HTTP {}: {}", answer.status, excerpt);
}

}  // namespace

DispatchSettings dispatchSettings(const WebhooksConfig& config, const webhook::WebhookEndpoint& endpoint) {
  DispatchSettings settings;
  settings.secret = endpoint.secret.empty() ? config.secret : endpoint.secret;
  settings.batch_size = config.batch_size;
  settings.retry = {std::chrono::milliseconds(config.retry_initial_ms), std::chrono::seconds(config.retry_max_seconds),
                    std::chrono::seconds(config.retry_period_seconds)};
  settings.http.timeout = std::chrono::seconds(config.timeout_seconds);
  settings.http.connect_timeout = std::chrono::seconds(config.connect_timeout_seconds);
  settings.http.user_agent = std::string("waybill-webhookd/") + WAYBILL_VERSION;
  return settings;
}

WebhookDispatcher::WebhookDispatcher(DatabaseConfig database, webhook::WebhookEndpoint endpoint,
                                     DispatchSettings settings, EndpointMetrics metrics,
                                     const std::atomic<bool>& leading)
    : database_(std::move(database)),
      endpoint_(std::move(endpoint)),
      settings_(std::move(settings)),
      metrics_(metrics),
      leading_(leading),
      poster_(settings_.http) {}

void WebhookDispatcher::start() { thread_ = std::thread([this] { run(); }); }

void WebhookDispatcher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void WebhookDispatcher::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  changed_.notify_all();
}

void WebhookDispatcher::pause(std::chrono::milliseconds duration, bool wakeable) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, duration, [&] { return stopping_.load() || (wakeable && woken_); });
  if (wakeable) woken_ = false;
}

void WebhookDispatcher::run() {
  std::optional<PgConnection> conn;
  std::optional<DeliveryStore> store;  // lives as long as its connection
  while (!stopping_) {
    if (!conn || conn->broken()) {
      store.reset();
      conn.reset();
      auto connected = PgConnection::connect(database_);
      if (!connected) {
        log::warning("endpoint {}: {}; retrying", endpoint_.name, connected.error());
        pause(std::chrono::seconds(1), false);
        continue;
      }
      conn.emplace(std::move(*connected));
      store.emplace(*conn);
    }
    switch (deliverOneBatch(*store)) {
      case Step::Worked: break;
      case Step::Idle: pause(std::chrono::seconds(1), true); break;
      case Step::Backoff: pause(backoff_, false); break;
      case Step::DatabaseError:
        store.reset();
        conn.reset();
        pause(std::chrono::seconds(1), false);
        break;
    }
  }
}

WebhookDispatcher::Step WebhookDispatcher::deliverOneBatch(DeliveryStore& store) {
  if (!leading_) return Step::Idle;
  auto batch = store.pending(endpoint_.name, settings_.batch_size);
  if (!batch) {
    log::warning("endpoint {}: {}", endpoint_.name, batch.error());
    return Step::DatabaseError;
  }
  if (batch->events.empty()) return Step::Idle;
  const auto now = std::chrono::system_clock::now();
  if (batch->first_failure &&
      settings_.retry.givenUp(std::chrono::system_clock::from_time_t(*batch->first_failure), now)) {
    log::warning("endpoint {}: giving up on {} event(s) after {} attempts", endpoint_.name, batch->events.size(),
                 batch->attempts);
    metrics_.failed->Increment(static_cast<double>(batch->events.size()));
    auto marked = store.markFailed(endpoint_.name, idsOf(*batch), "retry period over");
    return marked ? Step::Worked : Step::DatabaseError;
  }
  const std::string body = webhook::webhookBody(batch->events);
  const HttpAnswer answer = poster_.post(endpoint_.url, body, signedHeaders(body, *batch));
  metrics_.requests->Increment();
  metrics_.request_seconds->Observe(answer.seconds);
  return recordAnswer(store, *batch, answer);
}

// The result is recorded even while stopping: a clean stop never resends what was delivered.
WebhookDispatcher::Step WebhookDispatcher::recordAnswer(DeliveryStore& store, const PendingBatch& batch,
                                                        const HttpAnswer& answer) {
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
    case webhook::AttemptVerdict::Retry: {
      backoff_ = settings_.retry.delayBefore(batch.attempts + 2);
      log::warning("endpoint {}: {} (attempt {}); retrying in {} ms", endpoint_.name, describeAnswer(answer),
                   batch.attempts + 1, backoff_.count());
      metrics_.retried->Increment(count);
      return store.markRetry(endpoint_.name, ids, describeAnswer(answer)) ? Step::Backoff : Step::DatabaseError;
    }
    case webhook::AttemptVerdict::Fail:
      log::warning("endpoint {}: {}; {} event(s) recorded as failed, not retried", endpoint_.name,
                   describeAnswer(answer), ids.size());
      metrics_.failed->Increment(count);
      return store.markFailed(endpoint_.name, ids, describeAnswer(answer)) ? Step::Worked : Step::DatabaseError;
  }
  return Step::DatabaseError;
}

std::vector<std::string> WebhookDispatcher::signedHeaders(const std::string& body, const PendingBatch& batch) const {
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  return {fmt::format("{}: {}", webhook::kSignatureHeader, webhook::signWebhook(settings_.secret, now, body)),
          fmt::format("X-Waybill-Timestamp: {}", now),
          fmt::format("X-Waybill-Event-Ids: {}", webhook::eventIdList(batch.events)),
          fmt::format("X-Waybill-Attempt: {}", batch.attempts + 1)};
}

}  // namespace waybill::webhooks
