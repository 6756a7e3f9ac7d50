// TrackHandler: answers one parsed HTTP request (open pixel, click redirect, unsubscribe page and
// POST) and, for opens, clicks and unsubscriptions, appends the event to the worker's spool
// segment before the response exists. It also applies the per-client rate limit (429; a one-click
// unsubscribe is never refused), the spool cap (opens and clicks are dropped and counted, an
// unsubscription always spooled), and the click policy (expired or disallowed: a page). Responses are composed as bytes here: they
// are few and fixed, and writing them directly is what keeps the hot path near nginx's speed.
// HTTP parsing stays with Boost.Beast in http_server.cpp.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

#include "event_spool.h"
#include "token/tracking_token.h"
#include "track/click_policy.h"
#include "track/client_rate_limiter.h"
#include "track/machine_classifier.h"
#include "track/track_event.h"
#include "track/track_route.h"
#include "track/unsubscribe_page.h"
#include "trackd_metrics.h"

namespace waybill::trackd {

struct RequestFacts {
  std::string_view method;
  std::string_view target;
  std::string_view body;
  std::string_view client_ip;  // empty when unknown (unix socket without a real-IP header)
  std::string_view user_agent;
  bool keep_alive = true;
};

// What one worker thread owns: its spool segment and counters.
struct WorkerContext {
  EventSpool::Segment& segment;
  WorkerCounters& counters;
};

struct TrackHandlerOptions {
  std::string base_url;           // for the unsubscribe form's action; empty: relative
  std::string unsubscribe_scope;  // sender | domain | global
  track::ClickPolicy click_policy;
  int rate_limit = 0;  // requests per second per client; 0: off
  int rate_burst = 1;
};

class TrackHandler {
 public:
  TrackHandler(std::shared_ptr<const KeyRing> keys, track::UnsubscribePage page, TrackHandlerOptions options);

  // Fills `response` with a complete HTTP/1.1 response.
  void handle(const RequestFacts& request, WorkerContext& worker, std::string& response);
  // New token keys and unsubscribe page (SIGHUP): requests already running finish with the old
  // ones, every later request uses the new ones. Safe to call from any thread.
  void reload(std::shared_ptr<const KeyRing> keys, track::UnsubscribePage page);

 private:
  void dispatch(const RequestFacts& request, WorkerContext& worker, std::string& response);
  void open(const track::Route& route, const RequestFacts& request, WorkerContext& worker, std::string& response);
  void click(const track::Route& route, const RequestFacts& request, WorkerContext& worker, std::string& response);
  void unsubscribePage(const track::Route& route, const RequestFacts& request, WorkerContext& worker,
                       std::string& response);
  void unsubscribe(const track::Route& route, const RequestFacts& request, WorkerContext& worker,
                   std::string& response);
  void refuseClick(track::ClickVerdict verdict, const RequestFacts& request, WorkerContext& worker,
                   std::string& response);
  bool decode(std::string_view token, TokenKind kind, WorkerContext& worker, TokenClaims& claims) const;
  static std::string spoolRecord(track::TrackEvent& event);  // the user agent made valid UTF-8 first
  bool append(const std::string& record, WorkerContext& worker);  // false: not written (logged, counted)
  // An open or a click: spooled only while the spool has room under its cap, else dropped and counted.
  void spoolUnlessFull(track::TrackEvent& event, WorkerContext& worker);
  // True when this recipient's unsubscription was already spooled over the cap in this run.
  bool unsubscribedOverCap(const Uuid& recipient, bool remember);

  // What a reload replaces, swapped as one so a request never sees keys of one load and the page
  // of another.
  struct Material {
    TokenCodec codec;
    track::UnsubscribePage page;
  };
  std::shared_ptr<const Material> material() const { return material_.load(std::memory_order_acquire); }

  std::atomic<std::shared_ptr<const Material>> material_;
  const TrackHandlerOptions options_;
  track::MachineClassifier classifier_;
  track::ClientRateLimiter limiter_;
  // Unsubscriptions spooled past the cap, so one signed token posted again and again adds no
  // bytes: the spool past its cap grows only by distinct recipients (bounded by mail sent).
  std::mutex over_cap_mutex_;
  std::unordered_set<std::string> over_cap_unsubscribes_;
  track::EventIdSource ids_;
};

// A URL is only ever a redirect target if it is absolute http(s) without control characters or
// spaces (which could split the header); the milter never signs anything else.
bool isSafeRedirect(std::string_view url);

}  // namespace waybill::trackd
