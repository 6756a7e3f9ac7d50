// waybill-apid: the HTTP submission API. Applications send with Waybill's own JSON (/v1), or
// unchanged with Postmark's (/email*) or SendGrid's (/v3/mail/send) client libraries; each message
// is built here and handed to the local Postfix over SMTP (api.submit), so policyd, the milter and
// everything after them apply as to any other mail. A request is answered once Postfix has the
// message in its queue; Postfix down or tempfailing is 503 with Retry-After.
//
// SECURITY: every request needs a live API key (`waybill api-keys create`, stored hashed); a key
// sends only as its sender domains. Listen on loopback or behind a TLS proxy: keys travel in the
// clear otherwise. Needs the database (keys, recipient ids) and Postfix's SMTP port; nothing else.
// DIAGNOSTICS: syslog facility mail (and stderr), one line per message; /metrics on api.metrics_listen.
#include <fmt/format.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "api_handler.h"
#include "apid_metrics.h"
#include "http_exchange.h"
#include "runtime/daemon.h"
#include "runtime/log.h"
#include "runtime/metrics_server.h"
#include "runtime/smtp_client.h"
#include "runtime/stream_listener.h"
#include "store/connection_pool.h"
#include "submitter.h"

namespace {

constexpr std::string_view kBusy =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\nContent-Length: 57\r\n"
    "Connection: close\r\n\r\n{\"error\":{\"status\":503,\"message\":\"too many connections\"}}";

waybill::Status submitAddressUsable(const waybill::Config& config) {
  if (auto address = waybill::runtime::parseSmtpAddress(config.api.submit.substr(5)); !address)
    return waybill::makeError("option 'api.submit': " + address.error());
  return {};
}

std::string hostName() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "localhost";
  return host;
}

}  // namespace

namespace waybill::apid {

const runtime::DaemonProgram kProgram{"waybill-apid",
                                      "HTTP submission API: Waybill's own, Postmark- and SendGrid-compatible.",
                                      {.database = true, .check = submitAddressUsable}};

// SIGHUP: the configuration is read and checked again (the log level changes).
int serve(runtime::Daemon& daemon, const Config& config) {
  auto listener = runtime::listenOn(config.api.listen, {.option = "api.listen", .program = "waybill-apid", .unix_mode = 0660});
  if (!listener) return daemon.fail(listener.error());
  ApiMetrics metrics;
  auto metrics_server = metrics::MetricsServer::start(config.api.metrics_listen, metrics.registry());
  if (!metrics_server) return daemon.fail(metrics_server.error());

  ConnectionPool pool(config.database);
  Submitter submitter(*runtime::parseSmtpAddress(config.api.submit.substr(5)),
                      {.connections = static_cast<std::size_t>(config.api.submit_connections),
                       .greeting_timeout = std::chrono::seconds(10),
                       .timeout = std::chrono::seconds(120),
                       .max_idle = std::chrono::seconds(240)});
  api::RequestLimits limits;
  limits.max_body_bytes = config.api.max_body_bytes;
  limits.max_recipients = static_cast<std::size_t>(config.api.max_recipients);
  limits.max_batch = static_cast<std::size_t>(config.api.max_batch);
  const std::string domain = config.api.message_id_domain.empty() ? hostName() : config.api.message_id_domain;
  ApiHandler handler({limits, domain, static_cast<std::size_t>(config.api.submit_connections)}, pool, submitter, metrics);
  const ExchangeOptions exchange{config.api.timeout_seconds, config.api.max_body_bytes};

  runtime::ConnectionServer server(
      *listener, {.max_connections = config.api.max_connections, .drain_limit = std::chrono::seconds(30), .cut_reads_on_drain = true},
      {.serve =
           [&](int fd) {
             serveHttpConnection(
                 fd, exchange, [&](const HttpRequest& request) { return handler.handle(request); },
                 [&](int status, const std::string& path, const std::string& message) {
                   return handler.transportError(status, path, message);
                 });
           },
       .refuse = [](int fd, std::size_t) { (void)::send(fd, kBusy.data(), kBusy.size(), MSG_NOSIGNAL | MSG_DONTWAIT); },
       .counted = {},
       .draining = {},
       .overran = {}});
  const auto signal_waiter = daemon.stopOnSignal("finishing the requests in flight", [&server] { server.stop(); });
  daemon.ready(fmt::format("listening on {}, submitting to {}{}", config.api.listen, config.api.submit,
                           (*metrics_server)->startedNote()));
  server.run();
  return 0;
}

}  // namespace waybill::apid

int main(int argc, char** argv) {
  return waybill::runtime::runDaemon(waybill::apid::kProgram, argc, argv, waybill::apid::serve);
}
