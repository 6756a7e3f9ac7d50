// waybill-policyd: Postfix SMTP access policy service. Rejects suppressed recipients (5.7.1),
// defers senders over quota (4.7.1), and releases scheduled mail from the hold queue when due.
//
// SECURITY: runs as an unprivileged user. Releasing held mail needs the superuser's postsuper;
// policyd only runs the narrow helper named by policyd.hold_helper (see README).
// DIAGNOSTICS: syslog facility mail (and stderr). Answers DEFER_IF_PERMIT while no suppression
// list was ever loaded; keeps answering from memory while PostgreSQL is away.
#include <fmt/format.h>
#include <systemd/sd-daemon.h>

#include <chrono>
#include <csignal>
#include <thread>

#include "db/connection_pool.h"
#include "util/posix_io.h"
#include "event_recorder.h"
#include "hold_releaser.h"
#include "log/log.h"
#include "metrics/metrics_server.h"
#include "metrics/refreshing_collectable.h"
#include "policy/policy_decider.h"
#include "policy_server.h"
#include "policyd_metrics.h"
#include "suppression_feed.h"

namespace {

// A million suppressions load in about a second; PostgreSQL away fails the attempt at once.
constexpr std::chrono::seconds kFirstLoadLimit{10};

}  // namespace

int main(int argc, char** argv) {
  using namespace waybill;
  ConfigParser parser("waybill-policyd", "Postfix policy service: suppressions, quotas, scheduled sending.");
  auto parsed = parser.parse(argc, argv);
  if (!parsed) {
    fmt::print(stderr, "waybill-policyd: {}\n", parsed.error());
    return 78;  // EX_CONFIG
  }
  if (parsed->exit_now) return parsed->exit_code;
  const Config& config = *parsed->config;
  if (config.database.url.empty()) {
    fmt::print(stderr, "waybill-policyd: option 'database.url': required\n");
    return 78;
  }
  log::init("waybill-policyd", {config.log.to_stderr, config.log.to_syslog, config.log.level});
  const sigset_t stop_signals = blockStopSignals();

  auto listener = policyd::PolicyServer::listen(config.policyd.listen);
  if (!listener) {
    log::error("{}", listener.error());
    return 78;
  }
  ConnectionPool pool(config.database);
  policyd::SuppressionFeed feed(config.database);
  policyd::EventRecorder events(pool);
  policy::QuotaCounter quotas(config.policyd.quotas, [] { return std::chrono::steady_clock::now(); });
  const policy::PolicyDecider decider(quotas);
  policyd::HoldReleaser releaser(pool, config.policyd);
  policyd::PolicydMetrics counters;
  releaser.onResult([&counters](bool released) { counters.countRelease(released); });
  auto scraped = std::make_shared<metrics::RefreshingCollectable>(counters.registry(), [&] {
    counters.suppressions().Set(static_cast<double>(feed.entries()));
    counters.databaseUp().Set(feed.listening() ? 1 : 0);
  });
  auto metrics_server = metrics::MetricsServer::start(config.policyd.metrics_listen, scraped);
  if (!metrics_server) {
    log::error("{}", metrics_server.error());
    return 78;
  }
  feed.start();
  // Connections wait in the listen backlog meanwhile (socket activation: across a restart).
  if (!feed.waitFirstAttempt(kFirstLoadLimit)) log::warning("suppression list not loaded yet; deferring recipients");
  events.start();
  releaser.start();

  policyd::PolicyServer server(
      *listener, {config.policyd.max_connections, config.policyd.idle_timeout_seconds, {}},
      [&](const policy::PolicyRequest& request, policy::ConnectionState& state) {
        const auto started = std::chrono::steady_clock::now();
        auto decision = feed.read([&](const policy::SuppressionIndex* index) { return decider.decide(request, index, state); });
        counters.countAnswer(decision, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        if (decision.suppressed) events.record(policyd::suppressedEvent(*decision.suppressed));
        return std::move(decision.action);
      });
  std::thread signal_waiter([&] {
    int received = 0;
    sigwait(&stop_signals, &received);
    log::info("signal {}: draining", received);
    sd_notify(0, "STOPPING=1");
    server.stop();
  });
  sd_notify(0, "READY=1");
  log::info("listening on {}", config.policyd.listen);
  server.run();
  releaser.stop();
  events.stop();
  feed.stop();
  pthread_kill(signal_waiter.native_handle(), SIGTERM);  // wakes sigwait if run() ended on its own
  signal_waiter.join();
  log::info("stopped");
  return 0;
}
