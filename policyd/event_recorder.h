// EventRecorder: writes policyd's events (`suppressed`, `held`, `released`, `cancelled`) to the
// events table from a background thread, so a policy answer never waits for PostgreSQL. Events
// wait in a bounded queue while the database is away; past the bound the oldest are dropped and
// counted in the log (the answer to Postfix matters more than the record of it).
//
//   EventRecorder events(pool);
//   events.start();
//   events.record({.type = "suppressed", .recipient = "b@y.test", .details = {{"reason", "unsubscribed"}}});
#pragma once

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "store/connection_pool.h"
#include "policy/policy_decider.h"
#include "util/uuid.h"

namespace waybill::policyd {

struct PolicyEvent {
  Uuid id = Uuid::random();  // fixed before the first attempt, so a retried write stays one row
  std::chrono::system_clock::time_point occurred_at = std::chrono::system_clock::now();  // kept across retries
  std::string type;
  std::optional<Uuid> message_id;
  std::string recipient;
  std::string sender;
  nlohmann::json details = nlohmann::json::object();
};

// The `suppressed` event for a recipient policyd rejected.
PolicyEvent suppressedEvent(const policy::SuppressedRecipient& rejected);

class EventRecorder {
 public:
  explicit EventRecorder(ConnectionPool& pool, std::size_t max_queued = 50000) : pool_(pool), max_queued_(max_queued) {}
  ~EventRecorder() { stop(); }
  EventRecorder(const EventRecorder&) = delete;
  EventRecorder& operator=(const EventRecorder&) = delete;

  void start();
  // Writes what is queued (one last attempt), then returns.
  void stop();
  void record(PolicyEvent event);

 private:
  void run();
  Status write(const std::deque<PolicyEvent>& batch);

  ConnectionPool& pool_;
  const std::size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<PolicyEvent> queue_;
  std::size_t dropped_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace waybill::policyd
