// PipeServer implementation: unix listener (or systemd's), one message per connection of the
// bounded runtime::ConnectionServer.
#include "pipe_server.h"
#include "runtime/posix_io.h"
#include "runtime/socket_activation.h"
#include "runtime/unix_listener.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "runtime/log.h"

namespace waybill::pipe {

Result<PipeServer::Listener> PipeServer::listen(const PipeConfig& pipe) {
  auto passed = runtime::passedSocket("waybill-piped");
  if (!passed) return makeError(passed.error());
  if (*passed) {
    log::info("using the listening socket passed by systemd; pipe.socket is ignored");
    return Listener{**passed, ""};
  }
  if (pipe.socket.empty()) return makeError("option 'pipe.socket': required for --serve");
  const std::string path = pipe.socket.substr(5);
  auto fd = listenUnixSocket(path, pipe.socket_mode, "pipe.socket");
  if (!fd) return makeError(fd.error());
  return Listener{*fd, path};
}

// Unlike policyd, draining does not cut reads: a message being received is a message Postfix
// is waiting on, so it is read to its end, stored and answered. Every read has the timeout, so
// the wait is bounded; past it the clients see the socket close and exit 75.
PipeServer::PipeServer(Listener listener, PipeServerOptions options, PipeMetrics& metrics, RequestHandler handler)
    : options_(options),
      metrics_(metrics),
      handler_(std::move(handler)),
      connections_(std::move(listener),
                   {.max_connections = options.max_connections,
                    .drain_limit = std::chrono::seconds(2 * options.timeout_seconds),
                    .cut_reads_on_drain = false},
                   {.serve = [this](int fd) { serve(fd); },
                    .refuse =
                        [this](int fd, std::size_t open) {
                          // The client has read nothing from Postfix yet: it runs the one-shot program instead.
                          log::warning("client told BUSY: {} messages in flight (pipe.max_connections)", open);
                          ::send(fd, kGreetingBusy.data(), kGreetingBusy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
                          metrics_.countRefused();
                        },
                    .counted = [this](std::size_t open) { metrics_.inFlight().Set(static_cast<double>(open)); },
                    .draining = [](std::size_t open) { log::info("draining {} message(s) in flight", open); },
                    .overran =
                        [limit = 2 * options.timeout_seconds](std::size_t open) {
                          log::warning("{} message(s) still in flight after {} s; exiting (their clients exit 75)",
                                       open, limit);
                        }}) {}

void PipeServer::stop() { connections_.stop(); }

bool PipeServer::run() { return connections_.run(); }

void PipeServer::serve(int fd) {
  const timeval timeout{options_.timeout_seconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  PipeRequestReader reader(options_.max_message_bytes);
  if (sendAll(fd, kGreetingReady)) {
    char buffer[65536];
    while (!reader.done() && !reader.failed()) {
      const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) break;  // client gone or silent for pipe.timeout
      reader.push(std::string_view(buffer, static_cast<std::size_t>(got)));
    }
  }
  if (reader.done()) {
    PipeAnswer answer = handler_(reader.request());
    if (!sendAll(fd, formatAnswer(answer)))
      log::warning("queue {}: client gone before the answer '{}'; Postfix retries, the dedupe key stops a double store",
                   reader.request().queue_id, answer.text);
  } else {
    log::warning("client ended mid-message ({}); nothing stored, the client exits 75",
                 reader.failed() ? reader.error() : "closed or timed out");
    metrics_.countAborted();
  }
}

}  // namespace waybill::pipe
