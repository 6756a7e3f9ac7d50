// EventStore: writes a batch of spooled tracking events to PostgreSQL in one transaction: COPY into
// a session temp table, then one INSERT ... SELECT that fills message, recipient and sender from
// `recipients`/`messages`, flags clicks that came too soon after sending, and skips ids already
// stored (ON CONFLICT DO NOTHING: replays are idempotent); unsubscriptions also add suppressions.
//
//   EventStore store({.scanner_click_seconds = 10});
//   auto written = store.write(conn, events);   // error: keep the spool file, retry later
#pragma once

#include <cstddef>
#include <vector>

#include "store/pg_connection.h"
#include "track/track_event.h"
#include "util/result.h"

namespace waybill::track {

struct EventStoreOptions {
  int scanner_click_seconds = 10;
};

class EventStore {
 public:
  explicit EventStore(EventStoreOptions options) : options_(options) {}
  // Returns the number of new events rows (replayed ones are not counted again).
  Result<std::size_t> write(PgConnection& conn, const std::vector<TrackEvent>& events) const;

 private:
  EventStoreOptions options_;
};

// One row of COPY text format for the batch table (exposed for tests).
std::string copyRow(const TrackEvent& event);

}  // namespace waybill::track
