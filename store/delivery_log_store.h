// DeliveryLogStore: the SQL of waybill-logd. One statement per batch of log lines maps each
// delivery attempt to its recipients row (by queue id and address; per-recipient copies through
// message_copy_queue_ids), stores one delivered/deferred/bounced event per attempt, makes
// recipients.status follow the latest attempt and moves the stored read position — all in one
// transaction, so a batch is stored entirely or not at all. A copy's attempt read before the
// original transaction recorded the recipient waits in delivery_log_waiting for a later batch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/pg_connection.h"
#include "postfix/delivery_log_line.h"
#include "util/result.h"

namespace waybill::store {

// Where waybill-logd stopped reading: the log file (device, inode) and the byte after the last line.
struct LogFilePosition {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::uint64_t offset = 0;
};

struct LoggedAttempt {
  postfix::DeliveryLogLine line;
  std::string occurred_at;  // ISO 8601 with zone, from the line's time
  std::string digest;       // of the raw line: the event id is derived from it (replay-safe)
  std::string reason;       // sisimai vocabulary, for failed attempts (as waybill-pipe's bounces)
  std::string bounce_class; // hard | soft, for failed attempts
};

struct StoredBatch {
  std::int64_t attempts = 0;  // delivery lines in the batch
  std::int64_t matched = 0;   // of them, lines for mail Waybill recorded
  std::int64_t parked = 0;    // of them, copies' attempts whose recipient is not recorded yet
  std::int64_t waiting = 0;   // parked attempts still waiting after this batch (all batches)
  std::int64_t delivered = 0, deferred = 0, bounced = 0;  // events stored
  std::int64_t duplicates = 0;  // final outcomes already stored (from a DSN through waybill-pipe)
};

Result<std::optional<LogFilePosition>> loadPosition(PgConnection& conn, const std::string& log_file);

// `line_time` is the occurred_at of the batch's last attempt (empty: keep the stored one);
// `last_line` the digest of the batch's last line. A batch already stored (position and last line
// equal: its commit went through but the answer was lost) stores nothing again.
Result<StoredBatch> storeBatch(PgConnection& conn, const std::string& log_file, const std::vector<LoggedAttempt>& attempts,
                               const LogFilePosition& position, const std::string& line_time, const std::string& last_line);

}  // namespace waybill::store
