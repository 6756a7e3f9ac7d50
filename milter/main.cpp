// waybill-milter: Postfix milter that tracks, completes and records every submitted message.
//
// SECURITY: runs as an unprivileged user; reads the token key and DKIM keys, nothing else secret.
// DIAGNOSTICS: syslog facility mail (and stderr); every tempfail is logged with its cause.
// SIGHUP (systemctl reload) reads the configuration, token keys, DKIM keys and templates again
// and keeps every connection; a configuration or key that does not load leaves the old in use.
#include <fmt/format.h>


#include <chrono>
#include <csignal>

#include "config/config.h"
#include "store/connection_pool.h"
#include "libmilter_adapter.h"
#include "runtime/log.h"
#include "store/database_probe.h"
#include "runtime/metrics_server.h"
#include "runtime/refreshing_collectable.h"
#include "milter_metrics.h"
#include "pipeline_builder.h"
#include "runtime/daemon.h"
#include "socket_activation.h"
#include "runtime/allocator.h"

namespace {

// SIGUSR1, the milter's reload signal before SIGHUP was, still reloads the templates; the handler
// only raises a flag the renderer reads.
void requestTemplateReload(int) { waybill::TemplateRenderer::requestReload(); }

// libmilter's signal thread runs SIGHUP's reload (milter/socket_activation.h); it takes no argument.
waybill::runtime::Daemon* g_daemon = nullptr;
void reloadOnHangup() { g_daemon->reload(); }

}  // namespace

int main(int argc, char** argv) {
  using namespace waybill;
  const bool allocator_tuned = tuneAllocatorForMessages();
  ConfigParser parser("waybill-milter", "Postfix milter: tracking, List-Unsubscribe, Message-ID/Date, VERP, DKIM.");
  runtime::Daemon daemon(parser, "waybill-milter", argc, argv);
  if (!daemon.started()) return daemon.exitCode();
  const Config& config = daemon.config();
  if (!allocator_tuned) log::warning("could not tune malloc thresholds; rewriting runs slower");

  ConnectionPool pool(config.database);
  if (auto probe = pool.acquire(); !probe)
    log::warning("database not reachable yet, messages will be tempfailed until it is: {}", probe.error());

  auto built = milter::buildMilterPipeline(config, pool);
  if (!built) {
    fmt::print(stderr, "waybill-milter: {}\n", built.error());
    return runtime::kExitConfig;
  }
  // libmilter waits for SIGHUP/SIGTERM/SIGINT in its own thread and blocks them in the threads it
  // starts; threads started before smfi_main (the metrics listener) must block them too, or the
  // kernel may hand SIGTERM to one of them and the default action kills the milter unclean.
  daemon.blockSignals();
  (*built)->suppressions->start();  // after blocking: its thread must not take libmilter's signals
  if (!(*built)->suppressions->waitFirstAttempt(std::chrono::seconds(10)))
    log::warning("suppression list not loaded yet; messages are tempfailed until it is");
  milter::MilterMetrics counters;
  auto scraped = std::make_shared<metrics::RefreshingCollectable>(
      counters.registry(), [&] {
        counters.databaseUp().Set(metrics::databaseAnswers(pool) ? 1 : 0);
        counters.suppressions().Set(static_cast<double>((*built)->suppressions->entries()));
      });
  auto metrics_server = metrics::MetricsServer::start(config.milter.metrics_listen, scraped);
  if (!metrics_server) {
    fmt::print(stderr, "waybill-milter: {}\n", metrics_server.error());
    return runtime::kExitConfig;
  }
  daemon.onReload([&](const std::shared_ptr<const Config>& fresh) -> Result<std::string> {
    auto stages = milter::rebuildStages(*fresh, pool, **built);
    if (!stages) return makeError(stages.error());
    (*built)->pipeline.set(std::move(*stages));
    TemplateRenderer::requestReload();
    return std::string("token keys, DKIM keys, templates and the message settings");
  });
  g_daemon = &daemon;
  milter::setReloadOnHangup(reloadOnHangup);
  std::signal(SIGUSR1, requestTemplateReload);
  std::signal(SIGPIPE, SIG_IGN);  // a re-inject command that dies early must not take the milter along
  return milter::runMilter((*built)->pipeline, config.milter.socket, config.milter.timeout_seconds,
                           {config.milter.spool_dir, static_cast<std::size_t>(config.milter.spool_memory_limit_kb) * 1024},
                           &counters);
}
