// SuppressionFeed: keeps an in-memory SuppressionIndex equal to the `suppressions` table; policyd
// (the early check at RCPT) and the milter (every message, smtpd and sendmail alike) each run one.
// One thread LISTENs on `waybill_suppressions` (sql/migrations/0013_suppression_notify_ids.sql),
// loads the whole table with COPY, then applies each notified change as it comes: notifications
// carry row ids, and the rows are read by id in one query per batch. If PostgreSQL goes away the
// last list keeps answering; after reconnecting the list is loaded again (changes may have been
// missed meanwhile) and swapped in at once.
//
//   SuppressionFeed feed(config.database);
//   feed.start();
//   feed.read([&](const SuppressionIndex* index) { ... });   // index is null until first load
//   feed.stop();
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "store/pg_connection.h"
#include "policy/suppression_index.h"

namespace waybill {

class SuppressionFeed {
 public:
  explicit SuppressionFeed(DatabaseConfig database) : database_(std::move(database)) {}
  ~SuppressionFeed() { stop(); }
  SuppressionFeed(const SuppressionFeed&) = delete;
  SuppressionFeed& operator=(const SuppressionFeed&) = delete;

  void start();
  void stop();
  // Loads the whole list again on the feed's thread within a fraction of a second (SIGHUP):
  // a way back should a notification ever be missed.
  void requestReload() { reload_requested_ = true; }

  // Blocks until the first attempt to load the list is over (loaded or failed) or `limit` passed;
  // true if a list is loaded. A restarted policyd waits here so it never answers "not loaded".
  bool waitFirstAttempt(std::chrono::milliseconds limit);
  // True while the LISTEN connection is up and the list loaded (waybill_database_up).
  bool listening() const { return listening_; }
  // Runs `reader` under a shared lock with the current index, or null if none was ever loaded.
  template <typename Reader>
  auto read(Reader&& reader) const {
    std::shared_lock lock(mutex_);
    return reader(static_cast<const policy::SuppressionIndex*>(index_.get()));
  }
  // Entries in the list (0 before the first load).
  std::size_t entries() const {
    return read([](const policy::SuppressionIndex* index) { return index ? index->entries() : std::size_t{0}; });
  }

 private:
  void run();
  Status followOnce(PgConnection& conn);
  Status loadAll(PgConnection& conn);
  Status applyNotifications(PgConnection& conn);
  Status applyDeletions(PgConnection& conn, const std::vector<std::string>& ids);
  Status applyUpserts(PgConnection& conn, const std::vector<std::string>& ids);
  void sleepUnlessStopping(std::chrono::milliseconds duration);
  void markAttempted();

  const DatabaseConfig database_;
  mutable std::shared_mutex mutex_;
  std::unique_ptr<policy::SuppressionIndex> index_;  // guarded by mutex_
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> listening_{false};
  std::atomic<bool> reload_requested_{false};
  std::mutex state_mutex_;  // for sleeping until stop()
  std::condition_variable state_changed_;
  bool attempted_ = false;  // guarded by state_mutex_
};

}  // namespace waybill
