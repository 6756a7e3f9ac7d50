// PipeServer implementation: unix listener (or systemd's), bounded thread-per-message, drain.
#include "pipe_server.h"
#include "util/posix_io.h"
#include "util/unix_listener.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "log/log.h"

namespace waybill::pipe {
namespace {

}  // namespace

Result<PipeServer::Listener> PipeServer::listen(const PipeConfig& pipe) {
  const int passed = sd_listen_fds(1);
  if (passed > 1) return makeError("systemd passed more than one socket; waybill-piped uses exactly one");
  if (passed == 1) {
    log::info("using the listening socket passed by systemd; pipe.socket is ignored");
    return Listener{SD_LISTEN_FDS_START, ""};
  }
  if (pipe.socket.empty()) return makeError("option 'pipe.socket': required for --serve");
  const std::string path = pipe.socket.substr(5);
  auto fd = listenUnixSocket(path, pipe.socket_mode, "pipe.socket");
  if (!fd) return makeError(fd.error());
  return Listener{*fd, path};
}

PipeServer::PipeServer(Listener listener, PipeServerOptions options, PipeMetrics& metrics, RequestHandler handler)
    : listener_(std::move(listener)), options_(options), metrics_(metrics), handler_(std::move(handler)) {
}

void PipeServer::stop() { accept_loop_.stop(); }

bool PipeServer::run() {
  accept_loop_.run(listener_.fd, [this](int fd) {
    if (admit(fd)) std::thread([this, fd] { serve(fd); }).detach();
  });
  return drain();
}

bool PipeServer::admit(int fd) {
  std::lock_guard lock(mutex_);
  if (static_cast<int>(connections_.size()) >= options_.max_connections) {
    // The client has read nothing from Postfix yet: it runs the one-shot program instead.
    log::warning("client told BUSY: {} messages in flight (pipe.max_connections)", connections_.size());
    ::send(fd, kGreetingBusy.data(), kGreetingBusy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    ::close(fd);
    metrics_.countRefused();
    return false;
  }
  connections_.insert(fd);
  metrics_.inFlight().Set(static_cast<double>(connections_.size()));
  return true;
}

void PipeServer::forget(int fd) {
  // Under the lock: once drain() sees the set empty, no thread touches this object again.
  std::lock_guard lock(mutex_);
  connections_.erase(fd);
  ::close(fd);
  metrics_.inFlight().Set(static_cast<double>(connections_.size()));
  idle_.notify_all();
}

// Unlike policyd, reads are not cut short: a message being received is a message Postfix is
// waiting on, so it is read to its end, stored and answered. Every read has the timeout, so
// the wait is bounded; past it the clients see the socket close and exit 75.
bool PipeServer::drain() {
  if (listener_.fd >= 0) ::close(listener_.fd);  // systemd keeps its copy: clients wait for the next daemon
  if (!listener_.unix_path.empty()) ::unlink(listener_.unix_path.c_str());
  std::unique_lock lock(mutex_);
  log::info("draining {} message(s) in flight", connections_.size());
  const auto limit = std::chrono::seconds(2 * options_.timeout_seconds);
  if (idle_.wait_for(lock, limit, [this] { return connections_.empty(); })) return true;
  log::warning("{} message(s) still in flight after {} s; exiting (their clients exit 75)", connections_.size(),
               limit.count());
  return false;
}

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
  forget(fd);
}

}  // namespace waybill::pipe
