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

namespace waybill::webhooks {

const runtime::DaemonProgram kProgram{"waybill-webhookd",
                                      "Posts Waybill events as signed JSON to the application's endpoints."};

// SIGHUP: the configuration is read again and checked; endpoints, secrets and retry settings
// belong to running dispatchers and change at the next restart.
int serve(runtime::Daemon& daemon, const Config& config) {
  curl_global_init(CURL_GLOBAL_DEFAULT);

  WebhookdMetrics metrics;
  auto metrics_server = metrics::MetricsServer::start(config.webhooks.metrics_listen, metrics.registry());
  if (!metrics_server) return daemon.fail(metrics_server.error());
  std::map<std::string, std::unique_ptr<WebhookDispatcher>> dispatchers;
  const std::vector<webhook::WebhookEndpoint> endpoints = webhook::webhookEndpoints(config.webhooks).value();
  EventCursor cursor(config.database, endpoints, metrics,
                     [&](const std::string& name) { dispatchers.at(name)->wake(); });
  for (const auto& endpoint : endpoints)
    dispatchers[endpoint.name] = std::make_unique<WebhookDispatcher>(
        config.database, endpoint, dispatchSettings(config.webhooks, endpoint),
        metrics.forEndpoint(endpoint.name), cursor.leading());
  if (dispatchers.empty()) log::warning("no [webhooks] endpoint configured: events are not queued for webhooks");
  for (auto& [name, dispatcher] : dispatchers) dispatcher->start();
  cursor.start();
  daemon.ready(fmt::format("started: {} endpoint(s), batch size {}{}", dispatchers.size(), config.webhooks.batch_size,
                           (*metrics_server)->startedNote()));

  daemon.waitForStop("finishing requests in flight");
  // Dispatchers first: the cursor's session holds the lock that keeps a standby instance waiting.
  for (auto& [name, dispatcher] : dispatchers) dispatcher->stop();
  cursor.stop();
  curl_global_cleanup();
  return 0;
}

}  // namespace waybill::webhooks

int main(int argc, char** argv) {
  return waybill::runtime::runDaemon(waybill::webhooks::kProgram, argc, argv, waybill::webhooks::serve);
}
