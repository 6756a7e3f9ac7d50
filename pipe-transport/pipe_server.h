// PipeServer: the socket side of waybill-piped --serve. Accepts the thin waybill-pipe clients on
// a unix socket (or the one systemd passes), one thread per message, at most max_connections at
// once (the rest are told BUSY and run the one-shot program instead). Each connection: greeting,
// request (pipe_protocol.h), the handler's answer, close. stop() drains: no new connections,
// every message already being received is read, stored and answered.
//
//   auto listener = PipeServer::listen(config.pipe);
//   PipeServer server(*listener, options, metrics, [&](PipeRequest& r) { return store(r); });
//   server.run();   // until another thread calls server.stop()
#pragma once

#include <functional>
#include <string>

#include "config/config.h"
#include "pipe_metrics.h"
#include "pipe_protocol.h"
#include "runtime/connection_server.h"
#include "util/result.h"

namespace waybill::pipe {

struct PipeServerOptions {
  int max_connections = 32;
  int timeout_seconds = 60;               // per read/write on a connection
  std::size_t max_message_bytes = 64u << 20;
};

using RequestHandler = std::function<PipeAnswer(PipeRequest&)>;

class PipeServer {
 public:
  using Listener = runtime::Listener;
  // The socket systemd passed (LISTEN_FDS) wins over pipe.socket, so restarts keep it;
  // otherwise binds pipe.socket with pipe.socket_mode. Refuses to steal a live daemon's socket.
  static Result<Listener> listen(const PipeConfig& pipe);

  PipeServer(Listener listener, PipeServerOptions options, PipeMetrics& metrics, RequestHandler handler);
  PipeServer(const PipeServer&) = delete;
  PipeServer& operator=(const PipeServer&) = delete;

  // Accepts until stop(), then drains. False when messages were still in flight at the drain
  // limit: their threads still use the handler, so the caller must not destroy what it uses.
  bool run();
  void stop();  // thread-safe, async-signal-unsafe; returns at once

 private:
  void serve(int fd);

  const PipeServerOptions options_;
  PipeMetrics& metrics_;
  const RequestHandler handler_;
  runtime::ConnectionServer connections_;
};

}  // namespace waybill::pipe
