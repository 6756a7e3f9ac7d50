// HoldReleaser: policyd's scheduler. Every policyd.schedule_interval seconds it takes the due
// rows of `scheduled_messages` for this host (FOR UPDATE SKIP LOCKED, so several policyd
// processes never release one message twice), releases each through the hold helper, and records
// `released` events; a message no longer in the hold queue is marked failed with the reason.
// With PostgreSQL away it simply tries again next round: held mail waits, nothing is lost.
// Held mail is checked against the suppression list again when due: recipients suppressed while
// it waited are cancelled in the held queue file before release (a message whose every recipient
// is suppressed is deleted instead), each with a `suppressed` event.
//
//   HoldReleaser releaser(pool, config.policyd);
//   releaser.start();  ...  releaser.stop();
#pragma once

#include <functional>
#include <string>

#include "config/config.h"
#include "runtime/background_worker.h"
#include "store/connection_pool.h"
#include "store/suppression_feed.h"

namespace waybill::policyd {

class HoldReleaser {
 public:
  HoldReleaser(ConnectionPool& pool, PolicydConfig config);
  ~HoldReleaser() { stop(); }
  HoldReleaser(const HoldReleaser&) = delete;
  HoldReleaser& operator=(const HoldReleaser&) = delete;

  // Called with true per message released, false per message marked failed (metrics); set
  // before start().
  void onResult(std::function<void(bool released)> observer) { observer_ = std::move(observer); }
  // The list held mail is checked against when due; set before start(). Unset: not checked.
  void checkSuppressions(const SuppressionFeed& feed) { suppressions_ = &feed; }
  void start();
  void stop();
  // One round: releases what is due; returns how many were released.
  Result<int> releaseDue();

 private:
  enum class AfterCheck { Release, Deleted, NotHeld };
  // Cancels the held message's suppressed recipients (all of them: deletes the message).
  Result<AfterCheck> cancelSuppressed(PgConnection& conn, const std::string& message_id, const std::string& queue_id);
  Status markNotHeld(PgConnection& conn, const std::string& message_id, const std::string& queue_id);

  ConnectionPool& pool_;
  const PolicydConfig config_;
  const std::string host_;
  std::function<void(bool)> observer_;
  const SuppressionFeed* suppressions_ = nullptr;
  runtime::BackgroundWorker worker_;  // last: stopped (by ~HoldReleaser) before the rest goes
};

}  // namespace waybill::policyd
