// waybill-webhookd: follows new rows of `events` and `inbound_messages` and POSTs them as signed
// JSON to the endpoints of [webhooks] (see README, docs/metrics.md).
//
// SECURITY: runs as an unprivileged user; holds the webhook secrets, nothing else. Talks to
// PostgreSQL and to the configured URLs only; serves nothing but the optional loopback /metrics.
// DIAGNOSTICS: syslog facility mail (and stderr). Each failed attempt is logged with the
// endpoint and the answer, and recorded in webhook_deliveries (attempts, last_error).
#include <curl/curl.h>
#include <fmt/format.h>

#include <map>
#include <memory>

#include "event_cursor.h"
#include "runtime/log.h"
#include "runtime/metrics_server.h"
#include "runtime/daemon.h"
#include "webhook/webhooks_settings.h"
#include "webhook_dispatcher.h"
#include "webhookd_metrics.h"

int main(int argc, char** argv) {
  using namespace waybill;
  ConfigParser parser("waybill-webhookd", "Posts Waybill events as signed JSON to the application's endpoints.");
  runtime::Daemon daemon(parser, "waybill-webhookd", argc, argv);
  if (!daemon.started()) return daemon.exitCode();
  const Config& config = daemon.config();
  daemon.blockSignals();
  curl_global_init(CURL_GLOBAL_DEFAULT);

  webhooks::WebhookdMetrics metrics;
  auto metrics_server = metrics::MetricsServer::start(config.webhooks.metrics_listen, metrics.registry());
  if (!metrics_server) return daemon.fail(metrics_server.error());
  std::map<std::string, std::unique_ptr<webhooks::WebhookDispatcher>> dispatchers;
  const std::vector<webhook::WebhookEndpoint> endpoints = webhook::webhookEndpoints(config.webhooks).value();
  webhooks::EventCursor cursor(config.database, endpoints, metrics,
                               [&](const std::string& name) { dispatchers.at(name)->wake(); });
  for (const auto& endpoint : endpoints)
    dispatchers[endpoint.name] = std::make_unique<webhooks::WebhookDispatcher>(
        config.database, endpoint, webhooks::dispatchSettings(config.webhooks, endpoint),
        metrics.forEndpoint(endpoint.name), cursor.leading());
  if (dispatchers.empty()) log::warning("no [webhooks] endpoint configured: events are not queued for webhooks");
  for (auto& [name, dispatcher] : dispatchers) dispatcher->start();
  cursor.start();
  daemon.ready(fmt::format("started: {} endpoint(s), batch size {}{}", dispatchers.size(), config.webhooks.batch_size,
                           (*metrics_server)->enabled() ? fmt::format(", metrics on port {}", (*metrics_server)->port())
                                                        : ""));

  // SIGHUP: the configuration is read again and checked; endpoints, secrets and retry settings
  // belong to running dispatchers and change at the next restart.
  daemon.waitForStop("finishing requests in flight");
  // Dispatchers first: the cursor's session holds the lock that keeps a standby instance waiting.
  for (auto& [name, dispatcher] : dispatchers) dispatcher->stop();
  cursor.stop();
  curl_global_cleanup();
  log::info("stopped");
  return 0;
}
