// Listening sockets for waybill-trackd: the ones systemd passed (socket activation, so the socket
// outlives a restart), or else the ones bound from trackd.listen: a comma-separated list of
// 127.0.0.1:PORT, [::1]:PORT or unix:/path. Numeric addresses only: no DNS at start.
#pragma once

#include <string>
#include <vector>

#include "util/result.h"

namespace waybill::trackd {

struct ListenSocket {
  int fd = -1;
  int family = 0;  // AF_INET, AF_INET6 or AF_UNIX
  std::string name;
};

Result<std::vector<ListenSocket>> openListenSockets(const std::string& listen);

}  // namespace waybill::trackd
