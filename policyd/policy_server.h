// PolicyServer: the socket side of waybill-policyd. Accepts Postfix's policy clients on a TCP or
// UNIX socket (or the one systemd passes), one thread per connection (Postfix holds one
// connection per smtpd process, so there are tens, not thousands), many requests per connection.
// Garbage or oversized input gets one DEFER_IF_PERMIT answer and the connection closed; other
// connections never notice. stop() drains: no new connections, every request already received
// is answered, then connections close.
//
//   auto fd = PolicyServer::listen(config.policyd.listen);     // or the systemd socket
//   PolicyServer server(*fd, options, [&](const PolicyRequest& r, ConnectionState& s) { return "DUNNO"; });
//   server.run();   // until another thread calls server.stop()
#pragma once

#include <functional>
#include <string>

#include "policy/policy_decider.h"
#include "policy/policy_request.h"
#include "runtime/connection_server.h"
#include "util/result.h"

namespace waybill::policyd {

struct ServerOptions {
  int max_connections = 1000;
  int idle_timeout_seconds = 300;
  policy::PolicyLimits limits;
};

// Returns the action for one request ("DUNNO", "REJECT 5.7.1 ...").
using RequestHandler = std::function<std::string(const policy::PolicyRequest&, policy::ConnectionState&)>;

class PolicyServer {
 public:
  using Listener = runtime::Listener;
  // "127.0.0.1:PORT", "inet:127.0.0.1:PORT" or "unix:/path"; a socket passed by systemd
  // (LISTEN_FDS) wins over the configured address so restarts keep the socket.
  static Result<Listener> listen(const std::string& spec);

  PolicyServer(Listener listener, ServerOptions options, RequestHandler handler);
  PolicyServer(const PolicyServer&) = delete;
  PolicyServer& operator=(const PolicyServer&) = delete;

  void run();   // accepts until stop(), then drains
  void stop();  // thread-safe; returns at once

 private:
  void serve(int fd);

  const ServerOptions options_;
  const RequestHandler handler_;
  runtime::ConnectionServer connections_;
};

}  // namespace waybill::policyd
