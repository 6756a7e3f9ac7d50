// waybill-milter: Postfix milter that tracks, completes and records every submitted message.
//
// SECURITY: runs as an unprivileged user; reads the token key and DKIM keys, nothing else secret.
// DIAGNOSTICS: syslog facility mail (and stderr); every tempfail is logged with its cause.
#include <fmt/format.h>

#include <pthread.h>

#include <csignal>

#include "config/config.h"
#include "db/connection_pool.h"
#include "libmilter_adapter.h"
#include "log/log.h"
#include "metrics/database_probe.h"
#include "metrics/metrics_server.h"
#include "metrics/refreshing_collectable.h"
#include "milter_metrics.h"
#include "pipeline_builder.h"
#include "util/allocator.h"

namespace {

// libmilter takes SIGHUP, SIGTERM and SIGINT for itself (all of them stop it), so templates
// reload on SIGUSR1; the handler only raises a flag the renderer reads.
void requestTemplateReload(int) { waybill::TemplateRenderer::requestReload(); }

// libmilter waits for SIGHUP/SIGTERM/SIGINT in its own thread and blocks them in the threads it
// starts; threads started before smfi_main (the metrics listener) must block them too, or the
// kernel may hand SIGTERM to one of them and the default action kills the milter unclean.
void blockLibmilterSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace waybill;
  const bool allocator_tuned = tuneAllocatorForMessages();
  ConfigParser parser("waybill-milter", "Postfix milter: tracking, List-Unsubscribe, Message-ID/Date, VERP, DKIM.");
  auto parsed = parser.parse(argc, argv);
  if (!parsed) {
    fmt::print(stderr, "waybill-milter: {}\n", parsed.error());
    return 78;  // EX_CONFIG
  }
  if (parsed->exit_now) return parsed->exit_code;
  const Config& config = *parsed->config;
  if (config.database.url.empty()) {
    fmt::print(stderr, "waybill-milter: option 'database.url': required\n");
    return 78;
  }
  log::init("waybill-milter", {config.log.to_stderr, config.log.to_syslog, config.log.level});
  if (!allocator_tuned) log::warning("could not tune malloc thresholds; rewriting runs slower");

  ConnectionPool pool(config.database);
  if (auto probe = pool.acquire(); !probe)
    log::warning("database not reachable yet, messages will be tempfailed until it is: {}", probe.error());

  auto built = milter::buildMilterPipeline(config, pool);
  if (!built) {
    fmt::print(stderr, "waybill-milter: {}\n", built.error());
    return 78;
  }
  blockLibmilterSignals();
  milter::MilterMetrics counters;
  auto scraped = std::make_shared<metrics::RefreshingCollectable>(
      counters.registry(), [&] { counters.databaseUp().Set(metrics::databaseAnswers(pool) ? 1 : 0); });
  auto metrics_server = metrics::MetricsServer::start(config.milter.metrics_listen, scraped);
  if (!metrics_server) {
    fmt::print(stderr, "waybill-milter: {}\n", metrics_server.error());
    return 78;
  }
  std::signal(SIGUSR1, requestTemplateReload);
  std::signal(SIGPIPE, SIG_IGN);  // a re-inject command that dies early must not take the milter along
  return milter::runMilter((*built)->pipeline, config.milter.socket, config.milter.timeout_seconds,
                           {config.milter.spool_dir, static_cast<std::size_t>(config.milter.spool_memory_limit_kb) * 1024},
                           &counters);
}
