#include "track_handler.h"

#include <fmt/format.h>

#include <chrono>
#include <ctime>

#include "log/log.h"
#include "util/utf8.h"

namespace waybill::trackd {
namespace {

using track::Endpoint;

// The classic 43-byte transparent 1x1 GIF.
constexpr std::string_view kGifBytes(
    "GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff\x21\xf9\x04\x01\x00\x00\x00\x00"
    "\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b",
    43);

// Mail clients and proxies must ask again each time, or later opens are never seen.
constexpr std::string_view kNoCache =
    "Cache-Control: no-store, no-cache, must-revalidate, max-age=0\r\n"
    "Pragma: no-cache\r\n"
    "Expires: Thu, 01 Jan 1970 00:00:00 GMT\r\n";

std::int64_t nowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The Date header, formatted once per second per thread.
std::string_view httpDate() {
  thread_local std::time_t cached_second = 0;
  thread_local char text[64];
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm utc{};
    gmtime_r(&now, &utc);
    std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc);
    cached_second = now;
  }
  return text;
}

void respond(std::string& out, std::string_view status, std::string_view headers, std::string_view body,
             const RequestFacts& request) {
  out.clear();
  out += "HTTP/1.1 ";
  out += status;
  out += "\r\nDate: ";
  out += httpDate();
  out += "\r\nContent-Length: ";
  out += std::to_string(body.size());
  out += "\r\n";
  out += headers;
  if (!request.keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  if (request.method != "HEAD") out += body;
}

void notFound(std::string& out, const RequestFacts& request) {
  respond(out, "404 Not Found", "Content-Type: text/plain\r\n", "not found\n", request);
}

}  // namespace

bool isSafeRedirect(std::string_view url) {
  const bool http = url.size() > 7 && (url.substr(0, 7) == "http://" || url.substr(0, 7) == "HTTP://");
  const bool https = url.size() > 8 && (url.substr(0, 8) == "https://" || url.substr(0, 8) == "HTTPS://");
  if (!http && !https) return false;
  for (unsigned char c : url)
    if (c <= 0x20 || c == 0x7f) return false;
  return true;
}

TrackHandler::TrackHandler(std::shared_ptr<const KeyRing> keys, track::UnsubscribePage page,
                           TrackHandlerOptions options, TrackdMetrics& metrics)
    : codec_(std::move(keys)), page_(std::move(page)), options_(std::move(options)), metrics_(metrics) {}

void TrackHandler::handle(const RequestFacts& request, WorkerContext& worker, std::string& response) {
  try {
    dispatch(request, worker, response);
  } catch (const std::exception& e) {  // e.g. an operator's template mstch cannot render
    log::error("{} {}: {}", request.method, request.target.substr(0, 64), e.what());
    respond(response, "500 Internal Server Error", "Content-Type: text/plain\r\n", "internal error\n", request);
  }
}

void TrackHandler::dispatch(const RequestFacts& request, WorkerContext& worker, std::string& response) {
  const track::Route route = track::parseRoute(request.method, request.target);
  worker.counters.countRequest(route.endpoint);
  switch (route.endpoint) {
    case Endpoint::Open: return open(route, request, worker, response);
    case Endpoint::Click: return click(route, request, worker, response);
    case Endpoint::UnsubscribePage: return unsubscribePage(route, request, worker, response);
    case Endpoint::Unsubscribe: return unsubscribe(route, request, worker, response);
    case Endpoint::Health: return health(request, response);
    case Endpoint::Metrics:
      return respond(response, "200 OK", "Content-Type: text/plain; version=0.0.4\r\n", metrics_.render(), request);
    case Endpoint::MethodNotAllowed:
      return respond(response, "405 Method Not Allowed", "Allow: GET, HEAD, POST\r\nContent-Type: text/plain\r\n",
                     "method not allowed\n", request);
    case Endpoint::NotFound: return notFound(response, request);
  }
}

bool TrackHandler::decode(std::string_view token, TokenKind kind, WorkerContext& worker, TokenClaims& claims) const {
  auto decoded = codec_.decode(token);
  if (!decoded || decoded->kind != kind || (kind == TokenKind::Click && !isSafeRedirect(decoded->url))) {
    worker.counters.invalid_tokens.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  claims = std::move(*decoded);
  return true;
}

bool TrackHandler::spool(track::TrackEvent& event, WorkerContext& worker) {
  event.user_agent = toValidUtf8(event.user_agent);
  if (auto appended = worker.segment.append(track::encodeSpoolRecord(event)); !appended) {
    worker.counters.spool_errors.fetch_add(1, std::memory_order_relaxed);
    log::error("{}", appended.error());
    return false;
  }
  worker.counters.events_spooled.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void TrackHandler::open(const track::Route& route, const RequestFacts& request, WorkerContext& worker,
                        std::string& response) {
  TokenClaims claims;
  if (!decode(route.token, TokenKind::Open, worker, claims)) return notFound(response, request);
  if (!route.head) {
    track::TrackEvent event{ids_.next(), track::EventType::Opened, nowMicros(), claims.recipient_id, {},
                            std::string(request.client_ip), std::string(request.user_agent),
                            classifier_.classifyOpen(request.client_ip, request.user_agent), {}};
    // A pixel that fails to spool is still served: the client would never retry anyway.
    spool(event, worker);
  }
  std::string headers = "Content-Type: image/gif\r\n";
  headers += kNoCache;
  respond(response, "200 OK", headers, kGifBytes, request);
}

void TrackHandler::click(const track::Route& route, const RequestFacts& request, WorkerContext& worker,
                         std::string& response) {
  TokenClaims claims;
  if (!decode(route.token, TokenKind::Click, worker, claims)) return notFound(response, request);
  if (!route.head) {
    const std::int64_t now = nowMicros();
    std::string reason = classifier_.classifyClick(claims.recipient_id, claims.url, request.client_ip,
                                                   request.user_agent, now);
    track::TrackEvent event{ids_.next(), track::EventType::Clicked, now, claims.recipient_id, claims.url,
                            std::string(request.client_ip), std::string(request.user_agent), std::move(reason), {}};
    // The reader must reach the page even when the disk fails; the failure is logged and counted.
    spool(event, worker);
  }
  std::string headers = "Location: ";
  headers += claims.url;  // byte for byte what the milter signed
  headers += "\r\nReferrer-Policy: no-referrer\r\n";
  headers += kNoCache;
  respond(response, "302 Found", headers, {}, request);
}

void TrackHandler::unsubscribePage(const track::Route& route, const RequestFacts& request, WorkerContext& worker,
                                   std::string& response) {
  TokenClaims claims;  // a GET only shows the form: link scanners fetch every link
  if (!decode(route.token, TokenKind::Unsubscribe, worker, claims)) return notFound(response, request);
  const std::string action = options_.base_url + "/u/" + std::string(route.token);
  respond(response, "200 OK",
          "Content-Type: text/html; charset=utf-8\r\nCache-Control: no-store\r\n"
          "Content-Security-Policy: frame-ancestors 'none'\r\nReferrer-Policy: no-referrer\r\n",
          page_.renderConfirm(action), request);
}

void TrackHandler::unsubscribe(const track::Route& route, const RequestFacts& request, WorkerContext& worker,
                               std::string& response) {
  TokenClaims claims;
  if (!decode(route.token, TokenKind::Unsubscribe, worker, claims)) return notFound(response, request);
  track::TrackEvent event{track::unsubscribeEventId(claims.recipient_id), track::EventType::Unsubscribed,
                          nowMicros(), claims.recipient_id, {}, std::string(request.client_ip),
                          std::string(request.user_agent), {}, options_.unsubscribe_scope};
  if (!spool(event, worker))  // never claim an unsubscription that was not recorded
    return respond(response, "503 Service Unavailable", "Content-Type: text/plain\r\nRetry-After: 60\r\n",
                   "try again later\n", request);
  if (track::isOneClickBody(request.body))  // RFC 8058: the mail client wants a status, not a page
    return respond(response, "200 OK", "Content-Type: text/plain\r\n", {}, request);
  respond(response, "200 OK", "Content-Type: text/html; charset=utf-8\r\nCache-Control: no-store\r\n",
          page_.renderDone(), request);
}

void TrackHandler::health(const RequestFacts& request, std::string& response) {
  // Healthy while it can answer and spool: a database outage is reported, not fatal.
  const auto& writer = metrics_.writer();
  respond(response, "200 OK", "Content-Type: text/plain\r\nCache-Control: no-store\r\n",
          fmt::format("ok\ndatabase {}\nspool_depth {}\n", writer.database_up ? "up" : "down", metrics_.spoolDepth()),
          request);
}

}  // namespace waybill::trackd
