// PipeDaemon: waybill-piped --serve wired together — the token codec and PostgreSQL pool held
// for the life of the process, the PipeServer on pipe.socket, metrics, SIGTERM draining, and
// SIGHUP: the token keys and the [pipe] classification settings read again (runtime/).
// This is what takes a message from ~10 ms of CPU (process, libraries, connection) to well
// under a millisecond of daemon work plus the thin client's start.
#pragma once

#include "config/config.h"
#include "runtime/config_reloader.h"

namespace waybill::pipe {

// Runs until SIGTERM/SIGINT, then finishes the messages in flight. Returns the exit status
// (78 EX_CONFIG when the configuration or socket is unusable). `parser`, argc and argv are how
// the configuration was read: SIGHUP reads it again the same way.
int runDaemon(const ConfigParser& parser, int argc, const char* const argv[], std::shared_ptr<const Config> config);

}  // namespace waybill::pipe
