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
#include <vector>

#include "metrics/loopback_listen.h"
#include "util/result.h"

namespace prometheus {
class Collectable;
class Exposer;
}  // namespace prometheus

namespace waybill::metrics {

class MetricsServer {
 public:
  // An empty `listen` gives a server that serves nothing (metrics off). A Registry is a
  // Collectable; daemons with their own counters (trackd) pass their own Collectable.
  static Result<std::unique_ptr<MetricsServer>> start(const std::string& listen,
                                                      std::shared_ptr<prometheus::Collectable> registry);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // A second document on the same listener (trackd's /healthz); nothing when metrics are off.
  void serveAlso(const std::string& uri, std::shared_ptr<prometheus::Collectable> collectable);

  bool enabled() const { return exposer_ != nullptr; }
  int port() const;  // the bound port (useful with port 0), or 0 when off
  // ", metrics on port N" for a daemon's start line, or "" when off.
  std::string startedNote() const;

 private:
  MetricsServer() = default;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::shared_ptr<prometheus::Collectable> registry_;
  std::vector<std::shared_ptr<prometheus::Collectable>> extra_;  // kept alive: the exposer holds weak_ptrs
};

}  // namespace waybill::metrics
