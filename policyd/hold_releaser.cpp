#include "hold_releaser.h"

#include <fmt/format.h>

#include "log/log.h"
#include "policy/hold_command.h"

namespace waybill::policyd {
namespace {

constexpr const char* kTakeDue =
    "SELECT message_id, queue_id FROM scheduled_messages "
    "WHERE status = 'held' AND host = $1 AND send_at <= now() ORDER BY send_at LIMIT 1 "
    "FOR UPDATE SKIP LOCKED";

// The recipients go back to 'accepted' (in the queue again) with one `released` event each.
constexpr const char* kMarkReleased = R"SQL(
WITH released AS (
  UPDATE scheduled_messages SET status = 'released', updated_at = now() WHERE message_id = $1
  RETURNING message_id, queue_id
), recipients_back AS (
  UPDATE recipients SET status = 'accepted', updated_at = now()
  WHERE message_id = $1 AND status = 'held' RETURNING id, address
)
INSERT INTO events (id, type, message_id, recipient_id, recipient, details)
SELECT gen_random_uuid(), 'released', $1, r.id, r.address, jsonb_build_object('queue_id', $2::text)
FROM recipients_back r
)SQL";

constexpr const char* kMarkFailed =
    "UPDATE scheduled_messages SET status = 'failed', detail = $2, updated_at = now() WHERE message_id = $1";

}  // namespace

HoldReleaser::HoldReleaser(ConnectionPool& pool, PolicydConfig config)
    : pool_(pool), config_(std::move(config)), host_(policy::localHostName()) {}

void HoldReleaser::start() { thread_ = std::thread([this] { run(); }); }

void HoldReleaser::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void HoldReleaser::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    if (auto released = releaseDue(); !released) log::warning("scheduler: {}; trying again", released.error());
    lock.lock();
    wake_.wait_for(lock, std::chrono::seconds(config_.schedule_interval_seconds), [this] { return stopping_; });
  }
}

// One transaction per message: the row stays locked while its helper runs, and a failure
// later in the round never undoes the record of a release that happened.
Result<int> HoldReleaser::releaseDue() {
  auto lease = pool_.acquire();
  if (!lease) return makeError(lease.error());
  PgConnection& conn = **lease;
  int released = 0;
  bool more = true;
  while (more) {
    Status done = inTransaction(conn, [&]() -> Status {
      auto due = conn.exec(kTakeDue, {host_});
      if (!due) return makeError(due.error());
      more = due->rows() == 1;
      if (!more) return {};
      const std::string message_id(due->get(0, 0)), queue_id(due->get(0, 1));
      auto outcome = policy::runHoldHelper(config_, policy::HoldAction::Release, queue_id);
      if (!outcome) {
        more = false;  // stays held; the next round tries again
        return makeError(fmt::format("queue {}: cannot release: {}", queue_id, outcome.error()));
      }
      if (*outcome == policy::HoldOutcome::NotHeld) {
        log::warning("scheduler: queue {}: not in the hold queue any more; marked failed", queue_id);
        auto marked = conn.exec(kMarkFailed, {message_id, "not in the hold queue when due"});
        if (marked && observer_) observer_(false);
        return marked ? Status{} : makeError(marked.error());
      }
      auto marked = conn.exec(kMarkReleased, {message_id, queue_id});
      if (!marked) return makeError(marked.error());
      log::info("scheduler: queue {}: released (message {})", queue_id, message_id);
      ++released;
      if (observer_) observer_(true);
      return {};
    });
    if (!done) return makeError(done.error());
  }
  return released;
}

}  // namespace waybill::policyd
