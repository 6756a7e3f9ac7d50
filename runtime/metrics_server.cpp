#include "runtime/metrics_server.h"

#include <fmt/format.h>
#include <prometheus/exposer.h>
#include <prometheus/collectable.h>

#include <exception>

namespace waybill::metrics {

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(const std::string& listen,
                                                            std::shared_ptr<prometheus::Collectable> registry) {
  std::unique_ptr<MetricsServer> server(new MetricsServer());
  if (listen.empty()) return server;
  if (auto checked = checkLoopbackListen("metrics_listen", listen); !checked) return makeError(checked.error());
  // civetweb wants "[::1]:PORT" written "[::1]:PORT" too, and "localhost" resolved by us.
  const std::string bind = listen.starts_with("localhost:") ? "127.0.0.1" + listen.substr(9) : listen;
  try {
    server->exposer_ = std::make_unique<prometheus::Exposer>(bind, 1);
  } catch (const std::exception& e) {
    return makeError(fmt::format("metrics_listen {}: cannot listen: {}", listen, e.what()));
  }
  server->registry_ = std::move(registry);
  server->exposer_->RegisterCollectable(server->registry_);
  return server;
}

void MetricsServer::serveAlso(const std::string& uri, std::shared_ptr<prometheus::Collectable> collectable) {
  if (!exposer_) return;
  exposer_->RegisterCollectable(collectable, uri);
  extra_.push_back(std::move(collectable));
}

MetricsServer::~MetricsServer() = default;

int MetricsServer::port() const {
  if (!exposer_) return 0;
  const auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

std::string MetricsServer::startedNote() const { return enabled() ? fmt::format(", metrics on port {}", port()) : ""; }

}  // namespace waybill::metrics
