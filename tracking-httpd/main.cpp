// waybill-trackd: the public HTTP endpoint for open pixels (/o/), click redirects (/c/) and
// unsubscription (/u/, RFC 8058 one-click), plus /healthz and /metrics.
//
// SECURITY: faces the internet. Every token is HMAC-verified before anything happens; a bad one
// gets 404 and is not recorded; redirects go only to the URL signed inside the token. Needs the
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
#include "log/log.h"
#include "metrics/metrics_server.h"
#include "token/key_ring.h"
#include "track_handler.h"
#include "unsubscribe_template.h"

namespace {

int fail(const std::string& message) {
  fmt::print(stderr, "waybill-trackd: {}\n", message);
  return 78;  // EX_CONFIG
}

}  // namespace

int main(int argc, char** argv) {
  using namespace waybill;
  ConfigParser parser("waybill-trackd", "Tracking HTTP daemon: open pixel, click redirect, unsubscribe.");
  auto parsed = parser.parse(argc, argv);
  if (!parsed) return fail(parsed.error());
  if (parsed->exit_now) return parsed->exit_code;
  const Config& config = *parsed->config;
  if (config.database.url.empty()) return fail("option 'database.url': required");
  if (config.tracking.key_file.empty()) return fail("option 'tracking.key_file': required");
  log::init("waybill-trackd", {config.log.to_stderr, config.log.to_syslog, config.log.level});

  auto keys = KeyRing::loadFile(config.tracking.key_file);
  if (!keys) return fail("option 'tracking.key_file': " + keys.error());
  auto page = track::UnsubscribePage::load(config.trackd.template_dir, trackd::kBuiltinUnsubscribeTemplate);
  if (!page) return fail(page.error());
  auto spool = trackd::EventSpool::open(config.trackd.spool_dir);
  if (!spool) return fail(spool.error());
  auto sockets = trackd::openListenSockets(config.trackd.listen);
  if (!sockets) return fail(sockets.error());

  const trackd::ServerOptions options{
      config.trackd.threads > 0 ? static_cast<std::size_t>(config.trackd.threads)
                                : std::max(1u, std::thread::hardware_concurrency()),
      config.trackd.timeout_seconds, config.trackd.real_ip_header};
  // Shared: the metrics listener keeps a weak reference to it.
  auto metrics = std::make_shared<trackd::TrackdMetrics>(options.threads);
  auto metrics_server = metrics::MetricsServer::start(config.trackd.metrics_listen, metrics);
  if (!metrics_server) return fail(metrics_server.error());
  trackd::TrackHandler handler(std::make_shared<const KeyRing>(std::move(*keys)), std::move(*page),
                               {config.tracking.base_url, config.trackd.unsubscribe_scope}, *metrics);
  trackd::EventWriter writer(**spool, config.database, {config.trackd.scanner_click_seconds}, metrics->writer());
  writer.start();
  trackd::runHttpServer(*sockets, options, handler, **spool, *metrics);
  writer.stop(3000);  // what is not written by then waits in the spool for the next start
  log::info("stopped; {} events left in the spool", metrics->spoolDepth());
  return 0;
}
