// waybill-apid: the HTTP submission API. Applications send with Waybill's own JSON (/v1), or
// unchanged with Postmark's (/email*) or SendGrid's (/v3/mail/send) client libraries; each message
// is built here and handed to the local Postfix over SMTP (api.submit), so policyd, the milter and
// everything after them apply as to any other mail. A request is answered once Postfix has the
// message in its queue; Postfix down or tempfailing is 503 with Retry-After.
//
// SECURITY: every request needs a live API key (`waybill api-keys create`, stored hashed); a key
// sends only as its sender domains. Keys travel in the clear unless api.tls_cert/tls_key are set
// (or a TLS proxy is in front). Needs the database (keys, recipient ids) and Postfix's SMTP port.
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
#include "runtime/snapshot.h"
#include "runtime/stream_listener.h"
#include "store/connection_pool.h"
#include "submitter.h"
#include "tls_connection.h"

namespace {

constexpr std::string_view kBusy =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\nContent-Length: 57\r\n"
    "Connection: close\r\n\r\n{\"error\":{\"status\":503,\"message\":\"too many connections\"}}";

using TlsContext = std::shared_ptr<const waybill::apid::TlsServerContext>;

// Nothing when api.tls_cert is unset.
waybill::Result<TlsContext> loadTls(const waybill::Config& config) {
  if (config.api.tls_cert.empty()) return TlsContext();
  return waybill::apid::TlsServerContext::load(config.api.tls_cert, config.api.tls_key);
}

waybill::Status usable(const waybill::Config& config) {
  if (auto address = waybill::runtime::parseSmtpAddress(config.api.submit.substr(5)); !address)
    return waybill::makeError("option 'api.submit': " + address.error());
  if (auto tls = loadTls(config); !tls) return waybill::makeError(tls.error());
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
                                      {.database = true, .check = usable}};

// SIGHUP: the configuration is read and checked again (the log level changes), and the TLS
// certificate and key are loaded again for the connections that come after.
int serve(runtime::Daemon& daemon, const Config& config) {
  auto tls_first = loadTls(config);
  if (!tls_first) return daemon.fail(tls_first.error());
  runtime::Snapshot<TlsServerContext> tls(*tls_first);
  const bool speaks_tls = *tls_first != nullptr;
  daemon.onReload([&tls, speaks_tls](const std::shared_ptr<const Config>& fresh) -> Result<std::string> {
    auto loaded = loadTls(*fresh);
    if (!loaded) return makeError(loaded.error());
    if ((*loaded != nullptr) != speaks_tls) return makeError("option 'api.tls_cert': turning TLS on or off needs a restart");
    if (!speaks_tls) return std::string("nothing else");
    tls.set(*loaded);
    return fmt::format("the TLS certificate {}", fresh->api.tls_cert);
  });
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
             const auto context = tls.get();  // kept for the whole connection, across a reload
             ExchangeOptions options = exchange;
             options.tls = context ? context->get() : nullptr;
             serveHttpConnection(
                 fd, options, [&](const HttpRequest& request) { return handler.handle(request); },
                 [&](int status, const std::string& path, const std::string& message) {
                   return handler.transportError(status, path, message);
                 });
           },
       // Over TLS the refusal is the bare close: plain bytes would be garbage to the client.
       .refuse = [speaks_tls](int fd, std::size_t) {
         if (!speaks_tls) (void)::send(fd, kBusy.data(), kBusy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
       },
       .counted = {},
       .draining = {},
       .overran = {}});
  const auto signal_waiter = daemon.stopOnSignal("finishing the requests in flight", [&server] { server.stop(); });
  daemon.ready(fmt::format("listening on {}{}, submitting to {}{}", config.api.listen, speaks_tls ? " (TLS)" : "",
                           config.api.submit, (*metrics_server)->startedNote()));
  server.run();
  return 0;
}

}  // namespace waybill::apid

int main(int argc, char** argv) {
  return waybill::runtime::runDaemon(waybill::apid::kProgram, argc, argv, waybill::apid::serve);
}
