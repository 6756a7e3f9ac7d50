// Systemd socket activation: the listening sockets a socket unit passed this process
// (LISTEN_FDS/LISTEN_PID, descriptors from SD_LISTEN_FDS_START on). The daemon serves them
// instead of binding its configured address, so the socket outlives a restart and clients
// queue in its backlog meanwhile. The variables are unset once read, so children never see them.
//
//   auto passed = runtime::passedSocket("waybill-policyd");    // daemons with one socket
//   if (!passed) return makeError(passed.error());
//   if (*passed) serve(**passed); else bind(config.listen);
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace waybill::runtime {

// Every socket passed (empty when not socket-activated); an error when LISTEN_FDS is malformed.
Result<std::vector<int>> passedSockets();

// For a daemon serving exactly one socket: the passed one, nothing when none was passed, an
// error naming `program` when several were.
Result<std::optional<int>> passedSocket(std::string_view program);

}  // namespace waybill::runtime
