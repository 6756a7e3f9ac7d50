// TrackHandler: answers one parsed HTTP request (open pixel, click redirect, unsubscribe page and
// POST, health, metrics) and, for opens, clicks and unsubscriptions, appends the event to the
// worker's spool segment before the response exists. Responses are composed as bytes here: they
// are few and fixed, and writing them directly is what keeps the hot path near nginx's speed.
// HTTP parsing stays with Boost.Beast in http_server.cpp.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "event_spool.h"
#include "token/tracking_token.h"
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
};

class TrackHandler {
 public:
  TrackHandler(std::shared_ptr<const KeyRing> keys, track::UnsubscribePage page, TrackHandlerOptions options,
               TrackdMetrics& metrics);

  // Fills `response` with a complete HTTP/1.1 response.
  void handle(const RequestFacts& request, WorkerContext& worker, std::string& response);

 private:
  void dispatch(const RequestFacts& request, WorkerContext& worker, std::string& response);
  void open(const track::Route& route, const RequestFacts& request, WorkerContext& worker, std::string& response);
  void click(const track::Route& route, const RequestFacts& request, WorkerContext& worker, std::string& response);
  void unsubscribePage(const track::Route& route, const RequestFacts& request, WorkerContext& worker,
                       std::string& response);
  void unsubscribe(const track::Route& route, const RequestFacts& request, WorkerContext& worker,
                   std::string& response);
  void health(const RequestFacts& request, std::string& response);
  bool decode(std::string_view token, TokenKind kind, WorkerContext& worker, TokenClaims& claims) const;
  bool spool(track::TrackEvent& event, WorkerContext& worker);

  const TokenCodec codec_;
  const track::UnsubscribePage page_;
  const TrackHandlerOptions options_;
  TrackdMetrics& metrics_;
  track::MachineClassifier classifier_;
  track::EventIdSource ids_;
};

// A URL is only ever a redirect target if it is absolute http(s) without control characters or
// spaces (which could split the header); the milter never signs anything else.
bool isSafeRedirect(std::string_view url);

}  // namespace waybill::trackd
