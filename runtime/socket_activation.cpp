#include "runtime/socket_activation.h"

#include <systemd/sd-daemon.h>

#include <cstring>

#include <fmt/format.h>

namespace waybill::runtime {

Result<std::vector<int>> passedSockets() {
  const int passed = sd_listen_fds(1);
  if (passed < 0) return makeError(fmt::format("sd_listen_fds: {}", std::strerror(-passed)));
  std::vector<int> sockets;
  for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + passed; ++fd) sockets.push_back(fd);
  return sockets;
}

Result<std::optional<int>> passedSocket(std::string_view program) {
  auto sockets = passedSockets();
  if (!sockets) return makeError(sockets.error());
  if (sockets->size() > 1) return makeError(fmt::format("systemd passed more than one socket; {} uses exactly one", program));
  if (sockets->empty()) return std::optional<int>{};
  return std::optional<int>{sockets->front()};
}

}  // namespace waybill::runtime
