// PipeDaemon: waybill-piped --serve wired together — the token codec and PostgreSQL pool held
// for the life of the process, the PipeServer on pipe.socket, metrics, SIGTERM draining.
// This is what takes a message from ~10 ms of CPU (process, libraries, connection) to well
// under a millisecond of daemon work plus the thin client's start.
#pragma once

#include "config/config.h"

namespace waybill::pipe {

// Runs until SIGTERM/SIGINT, then finishes the messages in flight. Returns the exit status
// (78 EX_CONFIG when the configuration or socket is unusable).
int runDaemon(const Config& config);

}  // namespace waybill::pipe
