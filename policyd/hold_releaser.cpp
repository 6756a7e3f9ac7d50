#include "hold_releaser.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "runtime/log.h"
#include "runtime/hold_command.h"
#include "policy/policy_decider.h"
#include "store/schedule_store.h"

namespace waybill::policyd {

HoldReleaser::HoldReleaser(ConnectionPool& pool, PolicydConfig config)
    : pool_(pool), config_(std::move(config)), host_(policy::localHostName()) {}

void HoldReleaser::start() {
  worker_.every(std::chrono::seconds(config_.schedule_interval_seconds), [this] {
    if (auto released = releaseDue(); !released) log::warning("scheduler: {}; trying again", released.error());
  });
}

void HoldReleaser::stop() { worker_.stop(); }

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
      auto due = store::takeDue(conn, host_);
      if (!due) return makeError(due.error());
      more = due->has_value();
      if (!more) return {};
      const std::string message_id = (*due)->message_id, queue_id = (*due)->queue_id;
      auto checked = cancelSuppressed(conn, message_id, queue_id);
      if (!checked) {
        more = false;  // stays held; the next round tries again
        return makeError(fmt::format("queue {}: {}", queue_id, checked.error()));
      }
      if (*checked == AfterCheck::Deleted) {
        if (observer_) observer_(false);
        return {};
      }
      if (*checked == AfterCheck::NotHeld) return markNotHeld(conn, message_id, queue_id);
      auto outcome = policy::runHoldHelper(config_, policy::HoldAction::Release, queue_id);
      if (!outcome) {
        more = false;  // stays held; the next round tries again
        return makeError(fmt::format("queue {}: cannot release: {}", queue_id, outcome.error()));
      }
      if (*outcome == policy::HoldOutcome::NotHeld) return markNotHeld(conn, message_id, queue_id);
      if (auto marked = store::markReleased(conn, message_id, queue_id); !marked) return marked;
      log::info("scheduler: queue {}: released (message {})", queue_id, message_id);
      ++released;
      if (observer_) observer_(true);
      return {};
    });
    if (!done) return makeError(done.error());
  }
  return released;
}

// A message gone from the hold queue (deleted by hand, expired) is marked failed, never retried.
Status HoldReleaser::markNotHeld(PgConnection& conn, const std::string& message_id, const std::string& queue_id) {
  log::warning("scheduler: queue {}: not in the hold queue any more; marked failed", queue_id);
  auto marked = store::markFailed(conn, message_id, "not in the hold queue when due");
  if (marked && observer_) observer_(false);
  return marked;
}

// While the list was never loaded nothing is released: a suppression must not slip through.
Result<HoldReleaser::AfterCheck> HoldReleaser::cancelSuppressed(PgConnection& conn, const std::string& message_id,
                                                                const std::string& queue_id) {
  if (!suppressions_) return AfterCheck::Release;
  auto held = store::heldRecipients(conn, message_id);
  if (!held) return makeError(held.error());
  nlohmann::json details = nlohmann::json::object();
  std::vector<std::string> addresses;
  const bool loaded = suppressions_->read([&](const policy::SuppressionIndex* index) {
    if (!index) return false;
    for (const store::HeldRecipient& recipient : *held) {
      auto match = index->match(recipient.address, recipient.sender);
      if (!match) continue;
      addresses.push_back(recipient.address);
      details[recipient.recipient_id] = {{"reason", policy::reasonName(match->reason)},
                                                 {"scope", policy::scopeName(match->scope)},
                                                 {"scope_value", match->scope_value},
                                                 {"suppressed_since", policy::formatUtc(match->since)},
                                                 {"queue_id", queue_id},
                                                 {"checked_by", "release"}};
    }
    return true;
  });
  if (!loaded) return makeError("suppression list not loaded yet; not released");
  if (addresses.empty()) return AfterCheck::Release;
  const bool every = addresses.size() == held->size();
  auto outcome = every ? policy::runHoldHelper(config_, policy::HoldAction::Delete, queue_id)
                       : policy::runHoldHelper(config_, policy::HoldAction::Drop, queue_id, addresses);
  if (!outcome) return makeError(fmt::format("cannot cancel {} suppressed recipient(s): {}", addresses.size(), outcome.error()));
  if (*outcome == policy::HoldOutcome::NotHeld) return AfterCheck::NotHeld;
  auto marked = store::markSuppressedWhileHeld(conn, message_id,
                                               details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                                               held->front().sender, every);
  if (!marked) return makeError(marked.error());
  log::info("scheduler: queue {}: {} recipient(s) suppressed while held: {}", queue_id, addresses.size(),
            every ? "message deleted" : "cancelled before release");
  return every ? AfterCheck::Deleted : AfterCheck::Release;
}

}  // namespace waybill::policyd
