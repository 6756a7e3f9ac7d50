// The listening socket of a daemon that serves one (policyd, waybill-apid): the one systemd
// passed (socket activation, so clients wait in its backlog across a restart), or else one bound
// from the option's value: IPV4ADDRESS:PORT (also written inet:IPV4ADDRESS:PORT) or unix:/path.
//
//   auto listener = runtime::listenOn(config.api.listen, {"api.listen", "waybill-apid", 0660});
//   if (!listener) return daemon.fail(listener.error());
#pragma once

#include <string>
#include <string_view>

#include "runtime/connection_server.h"
#include "util/result.h"

namespace waybill::runtime {

struct ListenOptions {
  std::string_view option;   // named in errors: "option 'api.listen': ..."
  std::string_view program;  // named when systemd passed several sockets
  int unix_mode = 0660;      // a UNIX socket's permissions (the directory's restrict who else can)
};

Result<Listener> listenOn(const std::string& spec, const ListenOptions& options);

}  // namespace waybill::runtime
