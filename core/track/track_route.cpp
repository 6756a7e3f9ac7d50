#include "track/track_route.h"

#include "token/tracking_token.h"

namespace waybill::track {
namespace {

bool isBase64UrlChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool isToken(std::string_view text) {
  if (text.empty() || text.size() > TokenCodec::kMaxTokenLength) return false;
  for (char c : text)
    if (!isBase64UrlChar(c)) return false;
  return true;
}

// "/o/TOKEN" -> Endpoint::Open with the token; anything else under a prefix is NotFound.
Route tokenRoute(std::string_view path) {
  if (path.size() < 4 || path[0] != '/' || path[2] != '/') return {};
  const std::string_view token = path.substr(3);
  if (!isToken(token)) return {};
  switch (path[1]) {
    case 'o': return {Endpoint::Open, token};
    case 'c': return {Endpoint::Click, token};
    case 'u': return {Endpoint::UnsubscribePage, token};
    default: return {};
  }
}

}  // namespace

Route parseRoute(std::string_view method, std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  const bool get = method == "GET";
  const bool head = method == "HEAD";
  const bool post = method == "POST";

  Route route = tokenRoute(path);

  if (route.endpoint == Endpoint::NotFound) return route;
  if (post && route.endpoint == Endpoint::UnsubscribePage) {
    route.endpoint = Endpoint::Unsubscribe;
    return route;
  }
  if (!get && !head) return {Endpoint::MethodNotAllowed, route.token, false};
  route.head = head;
  return route;
}

bool isOneClickBody(std::string_view body) {
  // Fields are separated by '&'; RFC 8058 requires exactly this name and value.
  while (!body.empty()) {
    const std::size_t end = body.find('&');
    std::string_view field = body.substr(0, end);
    while (!field.empty() && (field.back() == '\r' || field.back() == '\n')) field.remove_suffix(1);
    if (field == "List-Unsubscribe=One-Click") return true;
    if (end == std::string_view::npos) break;
    body.remove_prefix(end + 1);
  }
  return false;
}

}  // namespace waybill::track
