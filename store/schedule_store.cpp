#include "store/schedule_store.h"

#include <fmt/format.h>

#include "store/event_writer.h"
#include "store/pg_rows.h"

namespace waybill::store {
namespace {

constexpr const char* kHeldEventColumns = "id, type, message_id, recipient_id, recipient, sender, details";
constexpr const char* kBackEventColumns = "id, type, message_id, recipient_id, recipient, details";

const std::string& recordHoldStatement() {
  static const std::string sql = R"SQL(
WITH scheduled AS (
  INSERT INTO scheduled_messages (message_id, queue_id, host, send_at)
  VALUES ($1, $2, $3, to_timestamp($4::double precision))
  RETURNING message_id, send_at
), held AS (
  UPDATE recipients SET status = 'held', updated_at = now()
  WHERE message_id = (SELECT message_id FROM scheduled)
  RETURNING id, address
)
)SQL" + insertEventsSql({.columns = kHeldEventColumns,
                         .rows = "gen_random_uuid(), 'held', $1, held.id, held.address, $5, "
                                 "jsonb_build_object('send_at', $6::text, 'queue_id', $2::text) FROM held"});
  return sql;
}

const std::string& markReleasedStatement() {
  static const std::string sql = R"SQL(
WITH released AS (
  UPDATE scheduled_messages SET status = 'released', updated_at = now() WHERE message_id = $1
  RETURNING message_id, queue_id
), recipients_back AS (
  UPDATE recipients SET status = 'accepted', updated_at = now()
  WHERE message_id = $1 AND status = 'held' RETURNING id, address
)
)SQL" + insertEventsSql({.columns = kBackEventColumns,
                         .rows = "gen_random_uuid(), 'released', $1, r.id, r.address, "
                                 "jsonb_build_object('queue_id', $2::text) FROM recipients_back r"});
  return sql;
}

// $2: {recipient id: event details} of the recipients cancelled; $3 the envelope sender; $4 true
// when that was every recipient (the message was deleted from the hold queue).
const std::string& markSuppressedStatement() {
  static const std::string sql = R"SQL(
WITH cancelled AS (
  UPDATE scheduled_messages SET status = 'cancelled', detail = 'every recipient suppressed', updated_at = now()
  WHERE message_id = $1 AND $4::boolean
), suppressed AS (
  UPDATE recipients SET status = 'suppressed', status_detail = 'suppressed while held', updated_at = now()
  WHERE message_id = $1 AND status = 'held' AND id::text IN (SELECT jsonb_object_keys($2::jsonb))
  RETURNING id, address
)
)SQL" + insertEventsSql({.columns = kHeldEventColumns,
                         .rows = "gen_random_uuid(), 'suppressed', $1, s.id, s.address, $3, ($2::jsonb)->(s.id::text) "
                                 "FROM suppressed s"});
  return sql;
}

const std::string& markCancelledStatement() {
  static const std::string sql = R"SQL(
WITH cancelled AS (
  UPDATE scheduled_messages SET status = 'cancelled', updated_at = now() WHERE message_id = $1 RETURNING message_id
), recipients_cancelled AS (
  UPDATE recipients SET status = 'cancelled', updated_at = now()
  WHERE message_id = $1 AND status = 'held' RETURNING id, address
)
)SQL" + insertEventsSql({.columns = kBackEventColumns,
                         .rows = "gen_random_uuid(), 'cancelled', $1, r.id, r.address, "
                                 "jsonb_build_object('queue_id', $2::text, 'by', 'cli') FROM recipients_cancelled r"});
  return sql;
}

Status done(const Result<PgResult>& result) { return result ? Status{} : makeError(result.error()); }

Result<std::optional<HeldMessage>> heldMessageFrom(Result<PgResult> rows) {
  if (!rows) return makeError(rows.error());
  if (rows->rows() != 1) return std::optional<HeldMessage>();
  return std::optional<HeldMessage>(
      HeldMessage{std::string(rows->get(0, 0)), std::string(rows->get(0, 1)), std::string(rows->get(0, 2))});
}

}  // namespace

Status recordHold(PgConnection& conn, const std::string& message_id, const std::string& queue_id,
                  const std::string& host, double due_seconds, const std::string& sender, const std::string& due_text) {
  return done(conn.exec(recordHoldStatement(),
                        {message_id, queue_id, host, fmt::format("{:.3f}", due_seconds), sender, due_text}));
}

Result<std::optional<HeldMessage>> takeDue(PgConnection& conn, const std::string& host) {
  return heldMessageFrom(conn.exec(
      "SELECT message_id, queue_id, host FROM scheduled_messages "
      "WHERE status = 'held' AND host = $1 AND send_at <= now() ORDER BY send_at LIMIT 1 "
      "FOR UPDATE SKIP LOCKED",
      {host}));
}

Result<std::vector<HeldRecipient>> heldRecipients(PgConnection& conn, const std::string& message_id) {
  auto rows = conn.exec(
      "SELECT r.id, r.address, m.envelope_sender FROM recipients r JOIN messages m ON m.id = r.message_id "
      "WHERE r.message_id = $1 AND r.status = 'held'",
      {message_id});
  return mapRows(rows, textRow<HeldRecipient, 3>);
}

Status markReleased(PgConnection& conn, const std::string& message_id, const std::string& queue_id) {
  return done(conn.exec(markReleasedStatement(), {message_id, queue_id}));
}

Status markSuppressedWhileHeld(PgConnection& conn, const std::string& message_id, const std::string& details_json,
                               const std::string& sender, bool every) {
  return done(conn.exec(markSuppressedStatement(), {message_id, details_json, sender, every ? "true" : "false"}));
}

Status markFailed(PgConnection& conn, const std::string& message_id, const std::string& detail) {
  return done(conn.exec(
      "UPDATE scheduled_messages SET status = 'failed', detail = $2, updated_at = now() WHERE message_id = $1",
      {message_id, detail}));
}

Result<std::vector<ScheduledListing>> listScheduled(PgConnection& conn, bool all) {
  auto rows = conn.exec(
      "SELECT s.message_id, s.queue_id, to_char(s.send_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
      "s.status, m.envelope_sender, coalesce(m.subject, '') FROM scheduled_messages s "
      "JOIN messages m ON m.id = s.message_id WHERE $1 OR s.status = 'held' ORDER BY s.send_at",
      {all ? "true" : "false"});
  return mapRows(rows, textRow<ScheduledListing, 6>);
}

Result<std::optional<HeldMessage>> lockHeldForCancel(PgConnection& conn, const std::string& id) {
  return heldMessageFrom(conn.exec(
      "SELECT message_id, queue_id, host FROM scheduled_messages WHERE status = 'held' "
      "AND (message_id::text = $1 OR queue_id = $1) FOR UPDATE NOWAIT",
      {id}));
}

Status markCancelled(PgConnection& conn, const std::string& message_id, const std::string& queue_id) {
  return done(conn.exec(markCancelledStatement(), {message_id, queue_id}));
}

}  // namespace waybill::store
