#include "policy_server.h"
#include "runtime/posix_io.h"
#include "runtime/stream_listener.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <thread>

#include "runtime/log.h"

namespace waybill::policyd {

Result<PolicyServer::Listener> PolicyServer::listen(const std::string& spec) {
  // Postfix's smtpd (user postfix) must connect; the directory's permissions restrict who else can.
  return runtime::listenOn(spec, {.option = "policyd.listen", .program = "waybill-policyd", .unix_mode = 0666});
}

// Draining cuts reads: each open connection sees end of input once it has read what was sent,
// answers the requests in it and closes. Postfix reconnects to the next instance (socket activation).
PolicyServer::PolicyServer(Listener listener, ServerOptions options, RequestHandler handler)
    : options_(options),
      handler_(std::move(handler)),
      connections_(std::move(listener),
                   {.max_connections = options.max_connections,
                    .drain_limit = std::chrono::seconds(10),
                    .cut_reads_on_drain = true},
                   {.serve = [this](int fd) { serve(fd); },
                    .refuse =
                        [](int, std::size_t open) {
                          // Postfix answers the client with a temporary error and retries later.
                          log::warning("policy client refused: {} connections already (policyd.max_connections)", open);
                        },
                    .counted = nullptr,
                    .draining = [](std::size_t open) { log::info("draining {} policy connection(s)", open); },
                    .overran =
                        [](std::size_t open) {
                          log::warning("{} policy connection(s) still busy after 10 s; exiting anyway", open);
                        }}) {}

void PolicyServer::stop() { connections_.stop(); }

void PolicyServer::run() { connections_.run(); }

void PolicyServer::serve(int fd) {
  const int on = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);  // fails harmlessly on UNIX sockets
  const timeval idle{options_.idle_timeout_seconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof idle);

  policy::PolicyRequestReader reader(options_.limits);
  policy::ConnectionState state;
  std::string replies;
  char buffer[16384];
  while (true) {
    const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // closed, idle timeout, or drained
    reader.push(std::string_view(buffer, static_cast<std::size_t>(got)));
    while (auto request = reader.next()) replies += policy::formatPolicyReply(handler_(*request, state));
    if (reader.failed()) {
      log::warning("policy client sent a malformed request ({}); closing the connection", reader.error());
      replies += policy::formatPolicyReply("DEFER_IF_PERMIT 4.3.5 Malformed policy request: " + reader.error());
      sendAll(fd, replies);
      break;
    }
    if (!replies.empty() && !sendAll(fd, replies)) break;
    replies.clear();
  }
}

}  // namespace waybill::policyd
