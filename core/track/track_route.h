// TrackRoute: what an HTTP request to waybill-trackd asks for, decided from its method and target
// alone (no I/O), so the daemon's hot path and the fuzzer share one small, strict function.
//
//   Route route = parseRoute("GET", "/c/AQB...?utm=x");   // {Endpoint::Click, token "AQB..."}
//   if (route.endpoint == Endpoint::NotFound) answer404();
//
// Health and metrics are not routes here: they are served on trackd.metrics_listen (loopback),
// never on the public listener.
#pragma once

#include <string_view>

namespace waybill::track {

enum class Endpoint { Open, Click, UnsubscribePage, Unsubscribe, NotFound, MethodNotAllowed };

struct Route {
  Endpoint endpoint = Endpoint::NotFound;
  std::string_view token;  // base64url characters only; a view into the target
  bool head = false;       // HEAD: answered like GET but never recorded
};

Route parseRoute(std::string_view method, std::string_view target);

// True when a POST body (application/x-www-form-urlencoded) asks for RFC 8058 one-click
// unsubscription: it carries the field List-Unsubscribe=One-Click.
bool isOneClickBody(std::string_view body);

}  // namespace waybill::track
