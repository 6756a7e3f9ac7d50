#include "track_handler.h"

#include <fmt/format.h>

#include <chrono>
#include <ctime>

#include "runtime/log.h"
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

// Past this many distinct unsubscriptions over the cap, stop remembering (and just spool).
constexpr std::size_t kMaxOverCapUnsubscribes = 1'000'000;

// Shown instead of a redirect; fixed text, nothing from the request or the token in it.
constexpr std::string_view kExpiredPage =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Link expired</title>"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>\n"
    "<body><h1>This link has expired</h1><p>The link you followed is too old to open. "
    "A newer message from the sender has a current one.</p></body></html>\n";
constexpr std::string_view kHostNotAllowedPage =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Link not available</title>"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>\n"
    "<body><h1>This link cannot be opened</h1><p>Its destination is not one this sender's links may "
    "lead to.</p></body></html>\n";
constexpr std::string_view kPageHeaders =
    "Content-Type: text/html; charset=utf-8\r\nCache-Control: no-store\r\n"
    "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\nReferrer-Policy: no-referrer\r\n";

std::int64_t steadyMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

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
                           TrackHandlerOptions options)
    : material_(std::make_shared<const Material>(Material{TokenCodec(std::move(keys)), std::move(page)})),
      options_(std::move(options)),
      limiter_(options_.rate_limit, options_.rate_burst) {}

void TrackHandler::reload(std::shared_ptr<const KeyRing> keys, track::UnsubscribePage page) {
  material_.store(std::make_shared<const Material>(Material{TokenCodec(std::move(keys)), std::move(page)}),
                  std::memory_order_release);
}

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
  // A one-click unsubscribe is never refused for rate: mail providers send them for many readers
  // from few addresses and need not retry; a repeated one costs no spool (unsubscribedOverCap).
  if (route.endpoint != Endpoint::Unsubscribe && !limiter_.allow(request.client_ip, steadyMillis())) {
    worker.counters.rate_limited.fetch_add(1, std::memory_order_relaxed);
    return respond(response, "429 Too Many Requests", "Content-Type: text/plain\r\nRetry-After: 1\r\n",
                   "too many requests\n", request);
  }
  switch (route.endpoint) {
    case Endpoint::Open: return open(route, request, worker, response);
    case Endpoint::Click: return click(route, request, worker, response);
    case Endpoint::UnsubscribePage: return unsubscribePage(route, request, worker, response);
    case Endpoint::Unsubscribe: return unsubscribe(route, request, worker, response);
    case Endpoint::MethodNotAllowed:
      return respond(response, "405 Method Not Allowed", "Allow: GET, HEAD, POST\r\nContent-Type: text/plain\r\n",
                     "method not allowed\n", request);
    case Endpoint::NotFound: return notFound(response, request);
  }
}

bool TrackHandler::decode(std::string_view token, TokenKind kind, WorkerContext& worker, TokenClaims& claims) const {
  auto decoded = material()->codec.decode(token);
  if (!decoded || decoded->kind != kind || (kind == TokenKind::Click && !isSafeRedirect(decoded->url))) {
    worker.counters.invalid_tokens.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  claims = std::move(*decoded);
  return true;
}

std::string TrackHandler::spoolRecord(track::TrackEvent& event) {
  event.user_agent = toValidUtf8(event.user_agent);
  return track::encodeSpoolRecord(event);
}

bool TrackHandler::append(const std::string& record, WorkerContext& worker) {
  if (auto appended = worker.segment.append(record); !appended) {
    worker.counters.spool_errors.fetch_add(1, std::memory_order_relaxed);
    log::error("{}", appended.error());
    return false;
  }
  worker.counters.events_spooled.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void TrackHandler::spoolUnlessFull(track::TrackEvent& event, WorkerContext& worker) {
  const std::string record = spoolRecord(event);
  if (worker.segment.hasRoomFor(record.size())) {
    append(record, worker);
    return;
  }
  auto& dropped = event.type == track::EventType::Clicked ? worker.counters.clicks_dropped
                                                           : worker.counters.opens_dropped;
  dropped.fetch_add(1, std::memory_order_relaxed);
}

bool TrackHandler::unsubscribedOverCap(const Uuid& recipient, bool remember) {
  const std::string key(reinterpret_cast<const char*>(recipient.bytes.data()), recipient.bytes.size());
  std::lock_guard lock(over_cap_mutex_);
  if (over_cap_unsubscribes_.contains(key)) return true;
  if (remember && over_cap_unsubscribes_.size() < kMaxOverCapUnsubscribes) over_cap_unsubscribes_.insert(key);
  return false;
}

void TrackHandler::open(const track::Route& route, const RequestFacts& request, WorkerContext& worker,
                        std::string& response) {
  TokenClaims claims;
  if (!decode(route.token, TokenKind::Open, worker, claims)) return notFound(response, request);
  if (!route.head) {
    track::TrackEvent event{ids_.next(), track::EventType::Opened, nowMicros(), claims.recipient_id, {},
                            std::string(request.client_ip), std::string(request.user_agent),
                            classifier_.classifyOpen(request.client_ip, request.user_agent), {}};
    // A pixel that fails to spool (or finds the spool full) is still served: the client would
    // never retry anyway.
    spoolUnlessFull(event, worker);
  }
  std::string headers = "Content-Type: image/gif\r\n";
  headers += kNoCache;
  respond(response, "200 OK", headers, kGifBytes, request);
}

void TrackHandler::click(const track::Route& route, const RequestFacts& request, WorkerContext& worker,
                         std::string& response) {
  TokenClaims claims;
  if (!decode(route.token, TokenKind::Click, worker, claims)) return notFound(response, request);
  const std::int64_t now = nowMicros();
  if (const auto verdict = options_.click_policy.judge(claims, now / 1'000'000); verdict != track::ClickVerdict::Redirect)
    return refuseClick(verdict, request, worker, response);
  if (!route.head) {
    std::string reason = classifier_.classifyClick(claims.recipient_id, claims.url, request.client_ip,
                                                   request.user_agent, now);
    track::TrackEvent event{ids_.next(), track::EventType::Clicked, now, claims.recipient_id, claims.url,
                            std::string(request.client_ip), std::string(request.user_agent), std::move(reason), {}};
    // The reader must reach the page even when the disk fails or the spool is full; the loss is
    // counted (and a disk failure logged).
    spoolUnlessFull(event, worker);
  }
  std::string headers = "Location: ";
  headers += claims.url;  // byte for byte what the milter signed
  headers += "\r\nReferrer-Policy: no-referrer\r\n";
  headers += kNoCache;
  respond(response, "302 Found", headers, {}, request);
}

// Not recorded as a click: nobody was sent anywhere.
void TrackHandler::refuseClick(track::ClickVerdict verdict, const RequestFacts& request, WorkerContext& worker,
                               std::string& response) {
  if (verdict == track::ClickVerdict::Expired) {
    worker.counters.clicks_expired.fetch_add(1, std::memory_order_relaxed);
    return respond(response, "410 Gone", kPageHeaders, kExpiredPage, request);
  }
  worker.counters.clicks_host_refused.fetch_add(1, std::memory_order_relaxed);
  respond(response, "403 Forbidden", kPageHeaders, kHostNotAllowedPage, request);
}

void TrackHandler::unsubscribePage(const track::Route& route, const RequestFacts& request, WorkerContext& worker,
                                   std::string& response) {
  TokenClaims claims;  // a GET only shows the form: link scanners fetch every link
  if (!decode(route.token, TokenKind::Unsubscribe, worker, claims)) return notFound(response, request);
  const std::string action = options_.base_url + "/u/" + std::string(route.token);
  respond(response, "200 OK",
          "Content-Type: text/html; charset=utf-8\r\nCache-Control: no-store\r\n"
          "Content-Security-Policy: frame-ancestors 'none'\r\nReferrer-Policy: no-referrer\r\n",
          material()->page.renderConfirm(action), request);
}

void TrackHandler::unsubscribe(const track::Route& route, const RequestFacts& request, WorkerContext& worker,
                               std::string& response) {
  TokenClaims claims;
  if (!decode(route.token, TokenKind::Unsubscribe, worker, claims)) return notFound(response, request);
  track::TrackEvent event{track::unsubscribeEventId(claims.recipient_id), track::EventType::Unsubscribed,
                          nowMicros(), claims.recipient_id, {}, std::string(request.client_ip),
                          std::string(request.user_agent), {}, options_.unsubscribe_scope};
  // Always spooled, cap or not. Past the cap, a repeat of one already spooled in this run is
  // answered without a second copy: that copy waits in the spool for the database either way.
  const std::string record = spoolRecord(event);
  const bool over_cap = !worker.segment.hasRoomFor(record.size());
  const bool repeat = over_cap && unsubscribedOverCap(claims.recipient_id, false);
  if (!repeat && !append(record, worker))  // never claim an unsubscription that was not recorded
    return respond(response, "503 Service Unavailable", "Content-Type: text/plain\r\nRetry-After: 60\r\n",
                   "try again later\n", request);
  if (over_cap && !repeat) unsubscribedOverCap(claims.recipient_id, true);
  if (track::isOneClickBody(request.body))  // RFC 8058: the mail client wants a status, not a page
    return respond(response, "200 OK", "Content-Type: text/plain\r\n", {}, request);
  respond(response, "200 OK", "Content-Type: text/html; charset=utf-8\r\nCache-Control: no-store\r\n",
          material()->page.renderDone(), request);
}

}  // namespace waybill::trackd
