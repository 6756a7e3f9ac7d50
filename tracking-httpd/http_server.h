// HttpServer: HTTP/1.1 for waybill-trackd on Boost.Beast (parsing) and Asio (I/O). One io_context
// and one thread per worker, each accepting on every listening socket and owning its connections,
// spool segment and counters outright, so requests never wait on a lock. Keep-alive; header and
// body size limits; a client that stays silent or slow past trackd.timeout is dropped. At most
// trackd.max_connections client connections at once (counted across workers): one more is
// answered 503 at once and closed, so a flood of idle sockets costs one descriptor each briefly
// and everyone else keeps being served. Runs until SIGTERM/SIGINT, then stops accepting, lets
// in-flight requests finish (1 s) and returns.
#pragma once

#include <string>
#include <functional>
#include <vector>

#include "event_spool.h"
#include "listen_sockets.h"
#include "track_handler.h"
#include "trackd_metrics.h"

namespace waybill::trackd {

struct ServerOptions {
  std::size_t threads = 1;
  int timeout_seconds = 15;
  std::string real_ip_header;  // trusted only when configured
  int max_connections = 8192;  // lowered at start to what RLIMIT_NOFILE leaves room for
};

// Blocks until a stop signal (SIGTERM, SIGINT); every worker's spool segment is sealed when it
// returns. SIGHUP calls on_reload (on the control thread) and keeps serving on the same sockets.
void runHttpServer(const std::vector<ListenSocket>& sockets, const ServerOptions& options, TrackHandler& handler,
                   EventSpool& spool, TrackdMetrics& metrics, const std::function<void()>& on_reload);

}  // namespace waybill::trackd
