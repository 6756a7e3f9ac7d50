// Small POSIX helpers shared by the daemons' main()s and socket servers. Header-only: the
// libc-only waybill-pipe front end uses them without linking the core library.
#pragma once

#include <pthread.h>
#include <sys/socket.h>

#include <cerrno>
#include <csignal>
#include <string_view>

namespace waybill {

// Writes all of bytes; false when the peer is gone (no SIGPIPE: MSG_NOSIGNAL).
inline bool sendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(sent));
  }
  return true;
}

// Blocks SIGTERM/SIGINT in this thread and those it starts, so that one thread takes them with
// sigwait() and no handler runs in a random thread; SIGPIPE is ignored. Call before threads.
inline sigset_t blockStopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  return signals;
}

}  // namespace waybill
