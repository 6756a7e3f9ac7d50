// waybill-trackd: the public HTTP endpoint for open pixels (/o/), click redirects (/c/) and
// unsubscription (/u/, RFC 8058 one-click); /metrics and /healthz only on trackd.metrics_listen.
//
// SECURITY: faces the internet. Every token is HMAC-verified before anything happens; a bad one
// gets 404 and is not recorded; redirects go only to the URL signed inside the token. Connection
// cap, per-client rate limit and spool cap are trackd.max_connections, .rate_limit, .spool_max_size. Needs the
// token key file, the spool directory and a database account that can insert events and
// suppressions; nothing else. Run it as an unprivileged user (systemd socket activation binds :80).
// DIAGNOSTICS: syslog facility mail (and stderr); /metrics shows spool depth and database state.
#include <fmt/format.h>

#include <thread>

#include "config/config.h"
#include "event_spool.h"
#include "event_writer.h"
#include "http_server.h"
#include "listen_sockets.h"
#include "runtime/log.h"
#include "runtime/metrics_server.h"
#include "runtime/daemon.h"
#include "token/key_ring.h"
#include "track_handler.h"
#include "unsubscribe_template.h"

namespace {

// Before the log starts (as runtime::Daemon's own checks): stderr, exit 78.
int fail(const std::string& message) {
  fmt::print(stderr, "waybill-trackd: {}\n", message);
  return waybill::runtime::kExitConfig;
}

waybill::Status needsKeyFile(const waybill::Config& config) {
  if (config.tracking.key_file.empty()) return waybill::makeError("option 'tracking.key_file': required");
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  using namespace waybill;
  ConfigParser parser("waybill-trackd", "Tracking HTTP daemon: open pixel, click redirect, unsubscribe.");
  runtime::Daemon daemon(parser, "waybill-trackd", argc, argv, {.database = true, .check = needsKeyFile});
  if (!daemon.started()) return daemon.exitCode();
  const Config& config = daemon.config();

  auto keys = KeyRing::loadFile(config.tracking.key_file);
  if (!keys) return fail("option 'tracking.key_file': " + keys.error());
  auto page = track::UnsubscribePage::load(config.trackd.template_dir, trackd::kBuiltinUnsubscribeTemplate);
  if (!page) return fail(page.error());
  auto spool = trackd::EventSpool::open(config.trackd.spool_dir, config.trackd.spool_max_bytes);
  if (!spool) return fail(spool.error());
  auto sockets = trackd::openListenSockets(config.trackd.listen);
  if (!sockets) return fail(sockets.error());

  const trackd::ServerOptions options{
      config.trackd.threads > 0 ? static_cast<std::size_t>(config.trackd.threads)
                                : std::max(1u, std::thread::hardware_concurrency()),
      config.trackd.timeout_seconds, config.trackd.real_ip_header, config.trackd.max_connections};
  // Shared: the metrics listener keeps a weak reference to it.
  auto metrics = std::make_shared<trackd::TrackdMetrics>(options.threads);
  auto metrics_server = metrics::MetricsServer::start(config.trackd.metrics_listen, metrics);
  if (!metrics_server) return fail(metrics_server.error());
  (*metrics_server)->serveAlso("/healthz", std::make_shared<trackd::TrackdHealth>(metrics));
  trackd::TrackHandler handler(std::make_shared<const KeyRing>(std::move(*keys)), std::move(*page),
                               {config.tracking.base_url, config.trackd.unsubscribe_scope,
                                {config.trackd.click_max_age_seconds, config.trackd.click_allowed_hosts},
                                config.trackd.rate_limit, config.trackd.rate_burst});
  trackd::EventWriter writer(**spool, config.database, {config.trackd.scanner_click_seconds}, metrics->writer());
  writer.start();
  // SIGHUP (systemctl reload): new token keys and unsubscribe page without dropping a connection;
  // a file that does not load leaves the ones in use.
  daemon.onReload([&handler](const std::shared_ptr<const Config>& config_read) -> Result<std::string> {
    const Config& fresh = *config_read;
    if (auto usable = needsKeyFile(fresh); !usable) return makeError(usable.error());
    auto new_keys = KeyRing::loadFile(fresh.tracking.key_file);
    if (!new_keys) return makeError("option 'tracking.key_file': " + new_keys.error());
    auto new_page = track::UnsubscribePage::load(fresh.trackd.template_dir, trackd::kBuiltinUnsubscribeTemplate);
    if (!new_page) return makeError(new_page.error());
    handler.reload(std::make_shared<const KeyRing>(std::move(*new_keys)), std::move(*new_page));
    return fmt::format("token keys from {} and the unsubscribe page", fresh.tracking.key_file);
  });
  const auto reload = [&daemon] { daemon.reload(); };
  trackd::runHttpServer(*sockets, options, handler, **spool, *metrics, reload);
  writer.stop(3000);  // what is not written by then waits in the spool for the next start
  log::info("stopped; {} events left in the spool", metrics->spoolDepth());
  return 0;
}
