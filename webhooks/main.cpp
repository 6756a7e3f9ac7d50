// waybill-webhookd: follows new rows of `events` and `inbound_messages` and POSTs them as signed
// JSON to the endpoints of [webhooks] (see README, docs/metrics.md).
//
// SECURITY: runs as an unprivileged user; holds the webhook secrets, nothing else. Talks to
// PostgreSQL and to the configured URLs only; serves nothing but the optional loopback /metrics.
// DIAGNOSTICS: syslog facility mail (and stderr). Each failed attempt is logged with the
// endpoint and the answer, and recorded in webhook_deliveries (attempts, last_error).
#include <curl/curl.h>
#include <fmt/format.h>
#include <systemd/sd-daemon.h>

#include <csignal>
#include <map>
#include <memory>

#include "event_cursor.h"
#include "util/posix_io.h"
#include "log/log.h"
#include "metrics/metrics_server.h"
#include "webhook_dispatcher.h"
#include "webhookd_metrics.h"

namespace {

}  // namespace

int main(int argc, char** argv) {
  using namespace waybill;
  ConfigParser parser("waybill-webhookd", "Posts Waybill events as signed JSON to the application's endpoints.");
  auto parsed = parser.parse(argc, argv);
  if (!parsed) {
    fmt::print(stderr, "waybill-webhookd: {}\n", parsed.error());
    return 78;  // EX_CONFIG
  }
  if (parsed->exit_now) return parsed->exit_code;
  const Config& config = *parsed->config;
  if (config.database.url.empty()) {
    fmt::print(stderr, "waybill-webhookd: option 'database.url': required\n");
    return 78;
  }
  log::init("waybill-webhookd", {config.log.to_stderr, config.log.to_syslog, config.log.level});
  const sigset_t stop_signals = blockStopSignals();
  curl_global_init(CURL_GLOBAL_DEFAULT);

  webhooks::WebhookdMetrics metrics;
  auto metrics_server = metrics::MetricsServer::start(config.webhooks.metrics_listen, metrics.registry());
  if (!metrics_server) {
    log::error("{}", metrics_server.error());
    return 78;
  }
  std::map<std::string, std::unique_ptr<webhooks::WebhookDispatcher>> dispatchers;
  webhooks::EventCursor cursor(config.database, config.webhooks.endpoints, metrics,
                               [&](const std::string& name) { dispatchers.at(name)->wake(); });
  for (const auto& endpoint : config.webhooks.endpoints)
    dispatchers[endpoint.name] = std::make_unique<webhooks::WebhookDispatcher>(
        config.database, endpoint, webhooks::dispatchSettings(config.webhooks, endpoint),
        metrics.forEndpoint(endpoint.name), cursor.leading());
  if (dispatchers.empty()) log::warning("no [webhooks] endpoint configured: events are not queued for webhooks");
  for (auto& [name, dispatcher] : dispatchers) dispatcher->start();
  cursor.start();
  sd_notify(0, "READY=1");
  log::info("started: {} endpoint(s), batch size {}{}", dispatchers.size(), config.webhooks.batch_size,
            (*metrics_server)->enabled() ? fmt::format(", metrics on port {}", (*metrics_server)->port()) : "");

  int received = 0;
  sigwait(&stop_signals, &received);
  log::info("signal {}: finishing requests in flight", received);
  sd_notify(0, "STOPPING=1");
  // Dispatchers first: the cursor's session holds the lock that keeps a standby instance waiting.
  for (auto& [name, dispatcher] : dispatchers) dispatcher->stop();
  cursor.stop();
  curl_global_cleanup();
  log::info("stopped");
  return 0;
}
