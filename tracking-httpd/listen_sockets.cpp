#include "listen_sockets.h"

#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/log.h"
#include "runtime/socket_activation.h"

namespace waybill::trackd {
namespace {

constexpr int kBacklog = 1024;

Result<ListenSocket> bindUnix(const std::string& path) {
  sockaddr_un address{};
  if (path.empty() || path.size() >= sizeof address.sun_path)
    return makeError(fmt::format("option 'trackd.listen': bad unix socket path '{}'", path));
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ::unlink(path.c_str());  // a stale socket file from an earlier run
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(fd, kBacklog) != 0) {
    const std::string reason = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return makeError(fmt::format("option 'trackd.listen': cannot listen on unix:{}: {}", path, reason));
  }
  ::chmod(path.c_str(), 0666);  // the reverse proxy in front runs as another user
  return ListenSocket{fd, AF_UNIX, "unix:" + path};
}

Result<ListenSocket> bindInet(const std::string& spec) {
  const std::size_t colon = spec.rfind(':');
  if (colon == std::string::npos || colon + 1 == spec.size())
    return makeError(fmt::format("option 'trackd.listen': '{}' is not HOST:PORT", spec));
  std::string host = spec.substr(0, colon);
  const std::string port = spec.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found); rc != 0)
    return makeError(fmt::format("option 'trackd.listen': '{}': {}", spec, gai_strerror(rc)));
  const int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  const bool ok = fd >= 0 && ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
                  ::bind(fd, found->ai_addr, found->ai_addrlen) == 0 && ::listen(fd, kBacklog) == 0;
  const int family = found->ai_family;
  ::freeaddrinfo(found);
  if (!ok) {
    const std::string reason = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return makeError(fmt::format("option 'trackd.listen': cannot listen on {}: {}", spec, reason));
  }
  return ListenSocket{fd, family, spec};
}

int familyOf(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return AF_UNSPEC;
  return address.ss_family;
}

}  // namespace

Result<std::vector<ListenSocket>> openListenSockets(const std::string& listen) {
  std::vector<ListenSocket> sockets;
  auto passed = runtime::passedSockets();
  if (!passed) return makeError(passed.error());
  if (!passed->empty()) {
    for (int fd : *passed) sockets.push_back({fd, familyOf(fd), fmt::format("systemd fd {}", fd)});
    log::info("using {} sockets from systemd; trackd.listen is ignored", passed->size());
    return sockets;
  }
  std::size_t start = 0;
  while (start <= listen.size()) {
    const std::size_t comma = std::min(listen.find(',', start), listen.size());
    std::string spec = listen.substr(start, comma - start);
    spec.erase(0, spec.find_first_not_of(' '));
    spec.erase(spec.find_last_not_of(' ') + 1);
    start = comma + 1;
    if (spec.empty()) continue;
    auto socket = spec.rfind("unix:", 0) == 0 ? bindUnix(spec.substr(5)) : bindInet(spec);
    if (!socket) {
      for (const auto& s : sockets) ::close(s.fd);
      return makeError(socket.error());
    }
    sockets.push_back(*socket);
  }
  if (sockets.empty()) return makeError("option 'trackd.listen': no address given");
  return sockets;
}

}  // namespace waybill::trackd
