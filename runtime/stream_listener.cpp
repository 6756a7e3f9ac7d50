#include "runtime/stream_listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "runtime/log.h"
#include "runtime/socket_activation.h"
#include "runtime/unix_listener.h"

namespace waybill::runtime {
namespace {

Result<Listener> listenInet(const std::string& spec, std::string_view option) {
  const auto colon = spec.rfind(':');
  int port = 0;
  const std::string host = colon == std::string::npos ? "" : spec.substr(0, colon);
  const char* port_text = spec.c_str() + colon + 1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  if (colon == std::string::npos || std::from_chars(port_text, spec.c_str() + spec.size(), port).ec != std::errc() ||
      port <= 0 || port > 65535 || inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1)
    return makeError(fmt::format("option '{}': '{}' is not IPV4ADDRESS:PORT or unix:/path", option, spec));
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int on = 1;
  if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(fd, 512) != 0) {
    const std::string why = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return makeError(fmt::format("option '{}': cannot listen on {}: {}", option, spec, why));
  }
  return Listener{fd, ""};
}

}  // namespace

Result<Listener> listenOn(const std::string& spec, const ListenOptions& options) {
  auto passed = passedSocket(options.program);
  if (!passed) return makeError(passed.error());
  if (*passed) {
    log::info("using the listening socket passed by systemd");
    return Listener{**passed, ""};
  }
  if (spec.rfind("unix:", 0) == 0) {
    auto fd = listenUnixSocket(spec.substr(5), options.unix_mode, options.option);
    if (!fd) return makeError(fd.error());
    return Listener{*fd, spec.substr(5)};
  }
  return listenInet(spec.rfind("inet:", 0) == 0 ? spec.substr(5) : spec, options.option);
}

}  // namespace waybill::runtime
