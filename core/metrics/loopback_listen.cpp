#include "metrics/loopback_listen.h"

#include <fmt/format.h>

#include <charconv>

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

}  // namespace waybill::metrics
