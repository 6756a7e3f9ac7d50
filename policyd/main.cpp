// waybill-policyd: Postfix SMTP access policy service. Rejects suppressed recipients (5.7.1),
// defers senders over quota (4.7.1), and releases scheduled mail from the hold queue when due.
//
// SECURITY: runs as an unprivileged user. Releasing held mail needs the superuser's postsuper;
// policyd only runs the narrow helper named by policyd.hold_helper (see README).
// DIAGNOSTICS: syslog facility mail (and stderr). Answers DEFER_IF_PERMIT while no suppression
// list was ever loaded; keeps answering from memory while PostgreSQL is away. SIGHUP reads the
// configuration and the suppression list again; connections stay open.
#include <fmt/format.h>

#include <chrono>

#include "store/connection_pool.h"
#include "event_recorder.h"
#include "hold_releaser.h"
#include "runtime/log.h"
#include "runtime/metrics_server.h"
#include "runtime/refreshing_collectable.h"
#include "policy/policy_decider.h"
#include "policy/policyd_settings.h"
#include "policy_server.h"
#include "policyd_metrics.h"
#include "runtime/daemon.h"
#include "store/suppression_feed.h"

namespace waybill::policyd {

const runtime::DaemonProgram kProgram{"waybill-policyd",
                                      "Postfix policy service: suppressions, quotas, scheduled sending."};

// A million suppressions load in about a second; PostgreSQL away fails the attempt at once.
constexpr std::chrono::seconds kFirstLoadLimit{10};

// SIGHUP (systemctl reload) is taken by the same thread as the stop signals.
int serve(runtime::Daemon& daemon, const Config& config) {
  auto listener = PolicyServer::listen(config.policyd.listen);
  if (!listener) return daemon.fail(listener.error());
  ConnectionPool pool(config.database);
  SuppressionFeed feed(config.database);
  EventRecorder events(pool);
  policy::QuotaCounter quotas(policy::quotaRules(config.policyd).value(), [] { return std::chrono::steady_clock::now(); });
  const policy::PolicyDecider decider(quotas);
  HoldReleaser releaser(pool, config.policyd);
  PolicydMetrics counters;
  releaser.onResult([&counters](bool released) { counters.countRelease(released); });
  releaser.checkSuppressions(feed);
  auto scraped = std::make_shared<metrics::RefreshingCollectable>(counters.registry(), [&] {
    counters.suppressions().Set(static_cast<double>(feed.entries()));
    counters.databaseUp().Set(feed.listening() ? 1 : 0);
  });
  auto metrics_server = metrics::MetricsServer::start(config.policyd.metrics_listen, scraped);
  if (!metrics_server) return daemon.fail(metrics_server.error());
  feed.start();
  // Connections wait in the listen backlog meanwhile (socket activation: across a restart).
  if (!feed.waitFirstAttempt(kFirstLoadLimit)) log::warning("suppression list not loaded yet; deferring recipients");
  events.start();
  releaser.start();

  PolicyServer server(
      *listener, {config.policyd.max_connections, config.policyd.idle_timeout_seconds, {}},
      [&](const policy::PolicyRequest& request, policy::ConnectionState& state) {
        const auto started = std::chrono::steady_clock::now();
        auto decision = feed.read([&](const policy::SuppressionIndex* index) { return decider.decide(request, index, state); });
        counters.countAnswer(decision, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        if (decision.suppressed) events.record(suppressedEvent(*decision.suppressed));
        return std::move(decision.action);
      });
  daemon.onReload([&feed](const auto&) -> Result<std::string> {
    feed.requestReload();
    return std::string("the suppression list (loading again)");
  });
  const auto signal_waiter = daemon.stopOnSignal("draining", [&server] { server.stop(); });
  daemon.ready(fmt::format("listening on {}", config.policyd.listen));
  server.run();
  releaser.stop();
  events.stop();
  feed.stop();
  return 0;
}

}  // namespace waybill::policyd

int main(int argc, char** argv) {
  return waybill::runtime::runDaemon(waybill::policyd::kProgram, argc, argv, waybill::policyd::serve);
}
