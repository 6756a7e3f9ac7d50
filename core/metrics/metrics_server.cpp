#include "metrics/metrics_server.h"

#include <fmt/format.h>
#include <prometheus/exposer.h>
#include <prometheus/collectable.h>

#include <charconv>
#include <exception>

namespace waybill::metrics {
namespace {

bool loopbackHost(std::string_view host) {
  if (host == "localhost" || host == "[::1]") return true;
  if (!host.starts_with("127.")) return false;
  int dots = 0;
  for (char c : host) {
    if (c == '.') ++dots;
    else if (c < '0' || c > '9') return false;
  }
  return dots == 3;
}

bool validPort(std::string_view text) {
  int port = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  return ec == std::errc() && end == text.data() + text.size() && port >= 0 && port <= 65535;
}

}  // namespace

Status checkLoopbackListen(std::string_view key, std::string_view text) {
  if (text.empty()) return {};
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || !validPort(text.substr(colon + 1)))
    return makeError(fmt::format("option '{}': '{}' is not HOST:PORT", key, text));
  if (!loopbackHost(text.substr(0, colon)))
    return makeError(fmt::format("option '{}': '{}' is not a loopback address (127.0.0.1, [::1], localhost); "
                                 "metrics are only served locally",
                                 key, text));
  return {};
}

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

MetricsServer::~MetricsServer() = default;

int MetricsServer::port() const {
  if (!exposer_) return 0;
  const auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

}  // namespace waybill::metrics
