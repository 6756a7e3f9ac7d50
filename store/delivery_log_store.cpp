#include "store/delivery_log_store.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "store/event_writer.h"

namespace waybill::store {
namespace {

// One statement, so one transaction. Data-modifying CTEs all see the snapshot at its start, so
// per-recipient numbering and the latest status are computed from `numbered`, and recipients is
// updated once per row. Final outcomes claim the dedupe key '<type>/<recipient id>/<queue id>' that
// waybill-pipe claims too (store/delivery_outcome_store.h); an event id is derived from the
// recipient and the raw line, so a line read twice (a log file replaced by a copy) is stored once.
const std::string& storeBatchStatement() {
  static const std::string sql = R"SQL(
WITH already AS (
  -- This very batch committed before (its answer was lost with the connection): redo nothing.
  SELECT 1 FROM delivery_log_positions
  WHERE log_file = $2 AND device = $3::bigint AND inode = $4::bigint AND byte_offset = $5::bigint AND last_line = $7),
released AS (
  -- Attempts parked until their copy's recipient was recorded (0019): it is now. They come first.
  DELETE FROM delivery_log_waiting w USING recipients r WHERE r.id = w.recipient_id
  RETURNING w.seq, w.line),
expired AS (
  DELETE FROM delivery_log_waiting w WHERE w.parked_at < now() - interval '7 days'
    AND NOT EXISTS (SELECT 1 FROM recipients r WHERE r.id = w.recipient_id)
  RETURNING 1),
raw AS (
  SELECT (row_number() OVER (ORDER BY seq))::int - 2000000000 AS n, line AS l FROM released
  UNION ALL
  SELECT (l->>'n')::int, l FROM jsonb_array_elements($1::jsonb) AS l WHERE NOT EXISTS (SELECT 1 FROM already)),
input AS (
  SELECT n, l->>'queue_id' AS queue_id, lower(l->>'to') AS rcpt, lower(l->>'orig_to') AS orig_rcpt,
         l->>'status' AS postfix_status, (l->>'at')::timestamptz AS at, l->>'digest' AS digest, l AS line
  FROM raw),
copies_queued AS (
  -- qmgr took a copy's queue file: it is committed (settles a copy whose SMTP answer was lost).
  UPDATE message_copy_queue_ids c SET queued_at = i.at
  FROM input i WHERE i.postfix_status = 'queued' AND c.queue_id = i.queue_id AND c.queued_at IS NULL
  RETURNING 1),
attempts AS (SELECT * FROM input WHERE postfix_status <> 'queued'),
candidates AS (
  SELECT i.n, r.id FROM attempts i JOIN recipients r ON r.queue_id = i.queue_id
  UNION
  SELECT i.n, c.recipient_id FROM attempts i JOIN message_copy_queue_ids c ON c.queue_id = i.queue_id),
parked AS (
  -- A copy's attempt read before the original transaction recorded the recipient: kept for later.
  INSERT INTO delivery_log_waiting (queue_id, recipient_id, line)
  SELECT i.queue_id, c.recipient_id, i.line FROM attempts i JOIN message_copy_queue_ids c ON c.queue_id = i.queue_id
  WHERE NOT EXISTS (SELECT 1 FROM recipients r WHERE r.id = c.recipient_id)
  ORDER BY i.n
  RETURNING 1),
matched AS (
  -- Syslog and postlogd write whole seconds: an attempt logged in the second its message was
  -- accepted is placed at the acceptance, never before it.
  SELECT i.*, greatest(i.at, r.created_at) AS occurred_at, r.id AS recipient_id, r.message_id, r.address,
         r.delivery_attempts, m.envelope_sender,
         CASE i.postfix_status WHEN 'sent' THEN 'delivered' WHEN 'deferred' THEN 'deferred' ELSE 'bounced' END AS type
  FROM candidates c JOIN attempts i ON i.n = c.n JOIN recipients r ON r.id = c.id JOIN messages m ON m.id = r.message_id
  WHERE CASE WHEN i.postfix_status = 'expired'
             -- the recipients still in the queue file: not final before, nor earlier in this batch
             THEN r.status IN ('accepted', 'held', 'deferred')
                  AND NOT EXISTS (SELECT 1 FROM attempts j WHERE j.n < i.n AND j.queue_id = i.queue_id
                                  AND j.postfix_status IN ('sent', 'bounced') AND lower(r.address) IN (j.rcpt, j.orig_rcpt))
             ELSE lower(r.address) IN (i.rcpt, i.orig_rcpt) END),
numbered AS (
  SELECT matched.*,
         delivery_attempts + row_number() OVER (PARTITION BY recipient_id ORDER BY n) AS attempt,
         row_number() OVER (PARTITION BY recipient_id ORDER BY n DESC) AS from_last
  FROM matched),
claimed AS (
  INSERT INTO delivery_outcomes (dedupe_key, source)
  SELECT type || '/' || recipient_id || '/' || queue_id, 'log' FROM numbered WHERE type IN ('delivered', 'bounced')
  ON CONFLICT DO NOTHING
  RETURNING dedupe_key),
stored AS (
)SQL" + store::insertEventsSql({
      .columns = "id, occurred_at, type, message_id, recipient_id, recipient, sender, details",
      .rows = R"SQL(md5(recipient_id::text || ':' || digest)::uuid, occurred_at, type, message_id, recipient_id, address, envelope_sender,
         jsonb_strip_nulls(jsonb_build_object(
           'source', 'log', 'queue_id', queue_id, 'attempt', attempt, 'postfix_status', postfix_status,
           'reply', line->'reply', 'dsn', line->'dsn', 'relay', line->'relay', 'relay_host', line->'relay_host',
           'relay_address', line->'relay_address', 'relay_port', line->'relay_port', 'delay', line->'delay',
           'delays', line->'delays', 'agent', line->'agent', 'orig_to', line->'orig_to',
           -- the keys the reporting views read (0006), as waybill-pipe writes them
           'status', line->'dsn', 'remote_mta', line->'relay_host', 'reason', line->'reason', 'class', line->'class'))
  FROM numbered)SQL",
      .where = "type = 'deferred' OR type || '/' || recipient_id || '/' || queue_id IN (SELECT dedupe_key FROM claimed)",
      .returning = "type"}) + R"SQL(),
latest AS (
  SELECT recipient_id, count(*) AS attempts,
         max(type) FILTER (WHERE from_last = 1) AS type,
         max(queue_id) FILTER (WHERE from_last = 1) AS queue_id,
         max(coalesce(nullif(left(trim(coalesce(line->>'dsn', '') || ' ' || coalesce(line->>'reply', '')), 1000), ''),
                      postfix_status)) FILTER (WHERE from_last = 1) AS detail
  FROM numbered GROUP BY recipient_id),
moved AS (
  UPDATE recipients r
  -- A copy's row may still name the original's queue file (the copy passed the milter before
  -- the original recorded it): the queue id Postfix logged is the copy's.
  SET delivery_attempts = r.delivery_attempts + latest.attempts,
      queue_id = latest.queue_id,
      status = CASE WHEN r.status = ANY(CASE latest.type WHEN 'bounced' THEN '{accepted,held,deferred,delivered}'::text[]
                                                          ELSE '{accepted,held,deferred}'::text[] END)
                    THEN latest.type ELSE r.status END,
      status_detail = CASE WHEN r.status = ANY(CASE latest.type WHEN 'bounced' THEN '{accepted,held,deferred,delivered}'::text[]
                                                                 ELSE '{accepted,held,deferred}'::text[] END)
                           THEN latest.detail ELSE r.status_detail END,
      updated_at = now()
  FROM latest WHERE r.id = latest.recipient_id
  RETURNING 1),
position AS (
  INSERT INTO delivery_log_positions AS p (log_file, device, inode, byte_offset, last_line, line_time, updated_at)
  VALUES ($2, $3::bigint, $4::bigint, $5::bigint, $7, nullif($6, '')::timestamptz, now())
  ON CONFLICT (log_file) DO UPDATE
  SET device = EXCLUDED.device, inode = EXCLUDED.inode, byte_offset = EXCLUDED.byte_offset, last_line = EXCLUDED.last_line,
      line_time = coalesce(EXCLUDED.line_time, p.line_time), updated_at = now()
  RETURNING 1)
SELECT (SELECT count(DISTINCT n) FROM matched WHERE n >= 0),
       (SELECT count(*) FROM stored WHERE type = 'delivered'),
       (SELECT count(*) FROM stored WHERE type = 'deferred'),
       (SELECT count(*) FROM stored WHERE type = 'bounced'),
       (SELECT count(*) FROM numbered WHERE type IN ('delivered', 'bounced'))
         - (SELECT count(*) FROM claimed),
       (SELECT count(*) FROM moved) + (SELECT count(*) FROM position) + (SELECT count(*) FROM copies_queued)
         + (SELECT count(*) FROM expired),
       (SELECT count(*) FROM parked),
       (SELECT count(*) FROM delivery_log_waiting) - (SELECT count(*) FROM released) - (SELECT count(*) FROM expired)
         + (SELECT count(*) FROM parked)
)SQL";
  return sql;
}

nlohmann::json toJson(const LoggedAttempt& attempt, std::size_t n) {
  const auto& l = attempt.line;
  nlohmann::json j = {{"n", n}, {"queue_id", l.queue_id}, {"to", l.to}, {"status", postfix::deliveryStatusName(l.status)},
                      {"at", attempt.occurred_at}, {"digest", attempt.digest}, {"agent", l.agent}};
  // Empty fields stay out of the event's details.
  const std::pair<const char*, const std::string*> optional[] = {
      {"orig_to", &l.orig_to}, {"reply", &l.reply}, {"dsn", &l.dsn}, {"relay", &l.relay},
      {"relay_host", &l.relay_host}, {"relay_address", &l.relay_address}, {"relay_port", &l.relay_port},
      {"delay", &l.delay}, {"delays", &l.delays}, {"reason", &attempt.reason}, {"class", &attempt.bounce_class}};
  for (const auto& [key, value] : optional)
    if (!value->empty()) j[key] = *value;
  return j;
}

std::int64_t number(const PgResult& rows, int column) { return std::stoll(std::string(rows.get(0, column))); }

}  // namespace

Result<std::optional<LogFilePosition>> loadPosition(PgConnection& conn, const std::string& log_file) {
  auto rows = conn.exec("SELECT device, inode, byte_offset FROM delivery_log_positions WHERE log_file = $1", {log_file});
  if (!rows) return makeError(rows.error());
  if (rows->rows() == 0) return std::optional<LogFilePosition>();
  LogFilePosition position;
  position.device = static_cast<std::uint64_t>(number(*rows, 0));
  position.inode = static_cast<std::uint64_t>(number(*rows, 1));
  position.offset = static_cast<std::uint64_t>(number(*rows, 2));
  return std::optional<LogFilePosition>(position);
}

Result<StoredBatch> storeBatch(PgConnection& conn, const std::string& log_file, const std::vector<LoggedAttempt>& attempts,
                               const LogFilePosition& position, const std::string& line_time, const std::string& last_line) {
  nlohmann::json lines = nlohmann::json::array();
  for (std::size_t i = 0; i < attempts.size(); ++i) lines.push_back(toJson(attempts[i], i));
  // Log lines are untrusted bytes: invalid UTF-8 is replaced rather than refused.
  const std::string payload = lines.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  // st_dev / st_ino are unsigned; bigint holds their bits.
  auto rows = conn.execPrepared("waybill_logd_store_batch", storeBatchStatement(),
                                {payload, log_file, std::to_string(static_cast<std::int64_t>(position.device)),
                                 std::to_string(static_cast<std::int64_t>(position.inode)),
                                 std::to_string(position.offset), line_time, last_line});
  if (!rows) return makeError(rows.error());
  StoredBatch stored;
  stored.attempts = std::count_if(attempts.begin(), attempts.end(),
                                  [](const LoggedAttempt& a) { return a.line.status != postfix::DeliveryStatus::Queued; });
  stored.matched = number(*rows, 0);
  stored.delivered = number(*rows, 1);
  stored.deferred = number(*rows, 2);
  stored.bounced = number(*rows, 3);
  stored.duplicates = number(*rows, 4);
  stored.parked = number(*rows, 6);
  stored.waiting = number(*rows, 7);
  return stored;
}

}  // namespace waybill::store
