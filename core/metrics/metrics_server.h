// MetricsServer: serves a prometheus-cpp Registry as GET /metrics on a loopback address, so
// every daemon exposes its counters with one line when `[section] metrics_listen` is set:
//
//   auto registry = std::make_shared<prometheus::Registry>();
//   auto server = MetricsServer::start(config.webhooks.metrics_listen, registry);  // "" = off
//   if (!server) { log::error("{}", server.error()); return 78; }
//
// The HTTP side is prometheus-cpp's Exposer (civetweb); nothing here parses HTTP.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "util/result.h"

namespace prometheus {
class Collectable;
class Exposer;
}  // namespace prometheus

namespace waybill::metrics {

// Accepts "127.0.0.1:PORT" (any 127/8 address), "[::1]:PORT" or "localhost:PORT"; anything
// else (0.0.0.0, a public address, a missing port) is refused: metrics are not for the world.
// `key` names the option in the error line. Empty text is valid and means "off".
Status checkLoopbackListen(std::string_view key, std::string_view text);

class MetricsServer {
 public:
  // An empty `listen` gives a server that serves nothing (metrics off). A Registry is a
  // Collectable; daemons with their own counters (trackd) pass their own Collectable.
  static Result<std::unique_ptr<MetricsServer>> start(const std::string& listen,
                                                      std::shared_ptr<prometheus::Collectable> registry);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  bool enabled() const { return exposer_ != nullptr; }
  int port() const;  // the bound port (useful with port 0), or 0 when off

 private:
  MetricsServer() = default;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::shared_ptr<prometheus::Collectable> registry_;
};

}  // namespace waybill::metrics
