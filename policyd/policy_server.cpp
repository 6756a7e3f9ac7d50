#include "policy_server.h"
#include "runtime/posix_io.h"
#include "runtime/socket_activation.h"
#include "runtime/unix_listener.h"

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
namespace {

Result<PolicyServer::Listener> listenInet(const std::string& spec) {
  const auto colon = spec.rfind(':');
  int port = 0;
  const std::string host = colon == std::string::npos ? "" : spec.substr(0, colon);
  const char* port_text = spec.c_str() + colon + 1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  if (colon == std::string::npos || std::from_chars(port_text, spec.c_str() + spec.size(), port).ec != std::errc() ||
      port <= 0 || port > 65535 || inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1)
    return makeError(fmt::format("option 'policyd.listen': '{}' is not IPV4ADDRESS:PORT or unix:/path", spec));
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int on = 1;
  if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(fd, 512) != 0) {
    const std::string why = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return makeError(fmt::format("option 'policyd.listen': cannot listen on {}: {}", spec, why));
  }
  return PolicyServer::Listener{fd, ""};
}

}  // namespace

Result<PolicyServer::Listener> PolicyServer::listen(const std::string& spec) {
  auto passed = runtime::passedSocket("waybill-policyd");
  if (!passed) return makeError(passed.error());
  if (*passed) {
    log::info("using the listening socket passed by systemd");
    return Listener{**passed, ""};
  }
  if (spec.rfind("unix:", 0) == 0) {
    // Postfix's smtpd (user postfix) must connect; the directory's permissions restrict who else can.
    auto fd = listenUnixSocket(spec.substr(5), 0666, "policyd.listen");
    if (!fd) return makeError(fd.error());
    return Listener{*fd, spec.substr(5)};
  }
  return listenInet(spec.rfind("inet:", 0) == 0 ? spec.substr(5) : spec);
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
