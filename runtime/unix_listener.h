// listenUnixSocket: the daemons' own UNIX listening sockets (policyd, waybill-piped).
//
//   auto fd = listenUnixSocket("/run/waybill/pipe.sock", 0660, "pipe.socket");
#pragma once

#include <string>
#include <string_view>

#include "util/result.h"

namespace waybill {

// Listens on a stream socket at path, born with at most `mode` (set through the umask, so there
// is no moment with wider permissions). A socket file that another process still accepts on is
// refused: unlinking it would silently orphan that daemon. A stale one is replaced. `option`
// names the setting in error messages.
Result<int> listenUnixSocket(const std::string& path, int mode, std::string_view option);

}  // namespace waybill
