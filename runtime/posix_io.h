// Small POSIX helpers shared by the daemons' socket servers (signals: runtime/daemon_signals.h).
// Header-only: the libc-only waybill-pipe front end uses them without linking any library of the tree.
#pragma once

#include <sys/socket.h>

#include <cerrno>
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

}  // namespace waybill
