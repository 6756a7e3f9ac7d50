// EventWriter: the one thread that moves sealed spool segments into PostgreSQL, many segments per
// transaction (COPY, see store/event_store.h), and deletes a segment only after its events are
// committed. While the database is away it keeps the segments, syncs them to disk once, and
// retries with backoff; when the database returns everything is replayed, idempotently.
#pragma once

#include <atomic>
#include <optional>
#include <thread>
#include <vector>

#include "config/config.h"
#include "store/pg_connection.h"
#include "event_spool.h"
#include "store/event_store.h"
#include "trackd_metrics.h"

namespace waybill::trackd {

class EventWriter {
 public:
  EventWriter(EventSpool& spool, DatabaseConfig database, track::EventStoreOptions options, WriterCounters& counters);
  ~EventWriter() { stop(0); }
  void start();
  // Stops taking new work, tries for up to drain_ms to write what is sealed, then returns;
  // whatever is left stays in the spool for the next start.
  void stop(int drain_ms);

 private:
  void run();
  bool writeSegments(std::vector<SealedSegment>& segments);  // false: database unavailable
  Result<PgConnection*> connection();
  void onFailure(const std::string& error, std::vector<SealedSegment>& segments);

  EventSpool& spool_;
  const DatabaseConfig database_;
  const track::EventStore store_;
  WriterCounters& counters_;
  std::optional<PgConnection> conn_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<long long> drain_deadline_ms_{0};
  int backoff_ms_ = 0;
};

}  // namespace waybill::trackd
