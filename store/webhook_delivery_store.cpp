#include "store/webhook_delivery_store.h"

#include <fmt/format.h>

#include <algorithm>

#include "store/pg_rows.h"
#include "util/utf8.h"
#include "webhook/delivery_order.h"
#include "webhook/pg_text_array.h"

namespace waybill::webhooks {
namespace {

// Outbox rows leave in seq order; SKIP LOCKED lets a second webhookd (a standby) run safely.
// LIMITs are literals (from configuration), so the generic plan knows how few rows come and
// looks them up by index instead of hashing all of `events`.
constexpr const char* kTakeOutbox = R"(
WITH taken AS (
  DELETE FROM webhook_outbox WHERE seq IN (
    SELECT seq FROM webhook_outbox ORDER BY seq LIMIT {} FOR UPDATE SKIP LOCKED)
  RETURNING seq, source, event_id, occurred_at, enqueued_at)
SELECT t.seq, t.source, t.event_id, t.occurred_at, t.enqueued_at, s.type, coalesce(s.sender, ''),
       CASE WHEN t.source = 'events' THEN coalesce(lower(s.recipient), '') ELSE '' END,
       (extract(epoch FROM t.occurred_at) * 1000000)::bigint
FROM taken t
JOIN webhook_event_source s ON s.source = t.source AND s.id = t.event_id AND s.occurred_at = t.occurred_at
ORDER BY t.seq)";

// A replayed event becomes pending again (receivers deduplicate by event id).
constexpr const char* kInsertDeliveries = R"(
INSERT INTO webhook_deliveries (endpoint, event_id, source, occurred_at, seq, enqueued_at, recipient_key)
SELECT n, i, s, o, q, e, NULLIF(k, '')
FROM unnest($1::text[], $2::uuid[], $3::text[], $4::timestamptz[], $5::bigint[], $6::timestamptz[], $7::text[])
  AS r(n, i, s, o, q, e, k)
ON CONFLICT (endpoint, event_id) DO UPDATE
  SET status = 'pending', attempts = 0, first_failure_at = NULL, last_error = NULL, finished_at = NULL,
      parked_at = NULL, parked_behind = NULL, seq = EXCLUDED.seq, enqueued_at = EXCLUDED.enqueued_at,
      recipient_key = EXCLUDED.recipient_key)";

// Among the next pending rows, those whose recipient has a parked event here wait with it.
constexpr const char* kParkFollowers = R"(
WITH parked_now AS (
UPDATE webhook_deliveries d
SET status = 'parked', parked_at = now(), last_error = 'parked behind an earlier event of the same recipient',
    parked_behind = (SELECT p.event_id FROM webhook_deliveries p WHERE p.endpoint = d.endpoint AND p.status = 'parked'
                     AND p.recipient_key = d.recipient_key ORDER BY p.seq LIMIT 1)
WHERE d.endpoint = $1 AND d.status = 'pending'
  AND d.seq IN (SELECT seq FROM webhook_deliveries WHERE endpoint = $1 AND status = 'pending' ORDER BY seq LIMIT {})
  AND EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.endpoint = d.endpoint AND p.status = 'parked'
              AND p.recipient_key = d.recipient_key)
RETURNING 1)
SELECT (SELECT count(*) FROM parked_now),
       EXISTS (SELECT 1 FROM webhook_deliveries WHERE endpoint = $1 AND status = 'parked'))";

constexpr const char* kPending = R"(
SELECT d.seq, s.id, s.type,
       to_char(s.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
       s.message_id, s.recipient_id, s.recipient, s.sender, s.url, s.ip, s.user_agent, s.machine,
       s.machine_reason, s.details::text, d.attempts, floor(extract(epoch FROM d.first_failure_at))::bigint,
       array_to_json(m.tags)::text, m.metadata::text
FROM (SELECT * FROM webhook_deliveries w WHERE endpoint = $1 AND status = 'pending'
        AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.endpoint = w.endpoint AND p.status = 'parked'
                        AND p.recipient_key = w.recipient_key)
      ORDER BY seq LIMIT {}) d
JOIN webhook_event_source s ON s.source = d.source AND s.id = d.event_id AND s.occurred_at = d.occurred_at
LEFT JOIN messages m ON m.id = s.message_id
ORDER BY d.seq)";

constexpr const char* kParked = R"(
SELECT d.endpoint, d.event_id, coalesce(s.type, ''), coalesce(s.recipient, ''), d.attempts,
       to_char(d.parked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), coalesce(d.last_error, ''),
       coalesce(d.parked_behind::text, ''), count(*) OVER ()
FROM webhook_deliveries d
LEFT JOIN webhook_event_source s ON s.source = d.source AND s.id = d.event_id AND s.occurred_at = d.occurred_at
WHERE d.status = 'parked'
ORDER BY d.parked_at, d.seq
LIMIT $1)";

// $1: endpoint or '', $2: event id or ''. New sequence numbers are drawn in the old order.
constexpr const char* kReplayParked = R"(
WITH picked AS (
  SELECT endpoint, event_id, recipient_key FROM webhook_deliveries
  WHERE ($1::text = '' OR endpoint = $1::text)
    AND CASE WHEN $2::text = '' THEN status = 'parked'
             ELSE event_id = NULLIF($2::text, '')::uuid AND status IN ('parked', 'failed') END),
chains AS (SELECT DISTINCT endpoint, recipient_key FROM picked WHERE recipient_key IS NOT NULL),
moved AS (
  SELECT d.endpoint, d.event_id, d.seq, d.status FROM webhook_deliveries d
  WHERE (d.endpoint, d.event_id) IN (SELECT endpoint, event_id FROM picked)
     OR (d.status IN ('parked', 'pending') AND (d.endpoint, d.recipient_key) IN (SELECT endpoint, recipient_key FROM chains))),
renumbered AS (
  SELECT m.endpoint, m.event_id, m.status AS was, nextval('webhook_outbox_seq_seq') AS new_seq
  FROM (SELECT * FROM moved ORDER BY seq) m)
UPDATE webhook_deliveries d
SET seq = r.new_seq, status = 'pending',
    attempts = CASE WHEN r.was = 'pending' THEN d.attempts ELSE 0 END,
    first_failure_at = CASE WHEN r.was = 'pending' THEN d.first_failure_at END,
    last_error = CASE WHEN r.was = 'pending' THEN d.last_error END,
    enqueued_at = CASE WHEN r.was = 'pending' THEN d.enqueued_at ELSE clock_timestamp() END,
    finished_at = NULL, parked_at = NULL, parked_behind = NULL
FROM renumbered r
WHERE d.endpoint = r.endpoint AND d.event_id = r.event_id
RETURNING r.was)";

std::optional<std::string> optionalColumn(const PgResult& rows, int row, int column) {
  if (rows.isNull(row, column)) return std::nullopt;
  return std::string(rows.get(row, column));
}

webhook::WebhookEvent eventFromRow(const PgResult& rows, int row) {
  webhook::WebhookEvent event;
  event.seq = std::stoll(std::string(rows.get(row, 0)));
  event.id = rows.get(row, 1);
  event.type = rows.get(row, 2);
  event.occurred_at = rows.get(row, 3);
  event.message_id = optionalColumn(rows, row, 4);
  event.recipient_id = optionalColumn(rows, row, 5);
  event.recipient = optionalColumn(rows, row, 6);
  event.sender = optionalColumn(rows, row, 7);
  event.url = optionalColumn(rows, row, 8);
  event.ip = optionalColumn(rows, row, 9);
  event.user_agent = optionalColumn(rows, row, 10);
  event.machine = rows.get(row, 11) == "t";
  event.machine_reason = optionalColumn(rows, row, 12);
  event.details_json = rows.get(row, 13);
  event.tags_json = optionalColumn(rows, row, 16);
  event.metadata_json = optionalColumn(rows, row, 17);
  return event;
}

}  // namespace

int PendingBatch::maxAttempts() const {
  return attempts.empty() ? 0 : *std::max_element(attempts.begin(), attempts.end());
}

std::optional<std::int64_t> PendingBatch::firstFailure() const {
  std::optional<std::int64_t> earliest;
  for (const auto& failed_at : first_failures)
    if (failed_at) earliest = earliest ? std::min(*earliest, *failed_at) : *failed_at;
  return earliest;
}

void PendingBatch::keepOnlyHead() {
  if (events.size() <= 1) return;
  events.resize(1);
  attempts.resize(1);
  first_failures.resize(1);
}

Result<PgResult> DeliveryStore::run(const std::string& name, const char* sql, const std::vector<PgParam>& params) {
  if (!plan_mode_set_) {
    // Custom plans would prune partitions at plan time and look cheaper, so PostgreSQL would
    // keep re-planning; a generic plan prunes at run time just as well.
    if (auto set = conn_.exec("SET plan_cache_mode = force_generic_plan"); !set) return makeError(set.error());
    plan_mode_set_ = true;
  }
  return conn_.execPrepared(name, sql, params);
}

Status DeliveryStore::setEnabled(bool enabled) {
  auto done = conn_.exec("UPDATE webhook_state SET enabled = $1, updated_at = now() WHERE enabled IS DISTINCT FROM $1",
                         {enabled ? "true" : "false"});
  if (!done) return makeError(done.error());
  return {};
}

Result<FanOutResult> DeliveryStore::fanOut(const std::vector<webhook::WebhookEndpoint>& endpoints, int limit) {
  FanOutResult result;
  std::vector<std::string> names, ids, sources, occurred, seqs, enqueued, keys;
  auto status = inTransaction(conn_, [&]() -> Status {
    const auto sql = fmt::format(fmt::runtime(kTakeOutbox), limit);
    auto rows = run(fmt::format("webhook_take_outbox_{}", limit), sql.c_str(), {});
    if (!rows) return makeError(rows.error());
    result.taken = static_cast<std::size_t>(rows->rows());
    std::vector<webhook::OutboxEntry> entries;
    for (int row = 0; row < rows->rows(); ++row)
      entries.push_back({std::stoll(std::string(rows->get(row, 0))), std::string(rows->get(row, 7)),
                         std::stoll(std::string(rows->get(row, 8)))});
    const auto delivery_seqs = webhook::deliveryOrder(entries);
    for (int row = 0; row < rows->rows(); ++row) {
      ++result.types[std::string(rows->get(row, 5))];
      for (const auto& endpoint : endpoints) {
        if (!endpoint.wants(rows->get(row, 5), rows->get(row, 6))) continue;
        names.push_back(endpoint.name);
        seqs.push_back(std::to_string(delivery_seqs[static_cast<std::size_t>(row)]));
        keys.emplace_back(rows->get(row, 7));
        sources.emplace_back(rows->get(row, 1));
        ids.emplace_back(rows->get(row, 2));
        occurred.emplace_back(rows->get(row, 3));
        enqueued.emplace_back(rows->get(row, 4));
        ++result.queued[endpoint.name];
      }
    }
    if (names.empty()) return {};
    auto inserted = run("webhook_insert_deliveries", kInsertDeliveries, {webhook::pgTextArray(names), webhook::pgTextArray(ids),
                                                   webhook::pgTextArray(sources), webhook::pgTextArray(occurred),
                                                   webhook::pgTextArray(seqs), webhook::pgTextArray(enqueued),
                                                   webhook::pgTextArray(keys)});
    if (!inserted) return makeError(inserted.error());
    return {};
  });
  if (!status) return makeError(status.error());
  return result;
}

Result<DeliveryStore::Followers> DeliveryStore::parkFollowers(const std::string& endpoint, int limit) {
  const auto sql = fmt::format(fmt::runtime(kParkFollowers), limit);
  auto rows = run(fmt::format("webhook_park_followers_{}", limit), sql.c_str(), {endpoint});
  if (!rows) return makeError(rows.error());
  return Followers{std::stoul(std::string(rows->get(0, 0))), rows->get(0, 1) == "t"};
}

Result<PendingBatch> DeliveryStore::pending(const std::string& endpoint, int limit) {
  const auto sql = fmt::format(fmt::runtime(kPending), limit);
  auto rows = run(fmt::format("webhook_pending_{}", limit), sql.c_str(), {endpoint});
  if (!rows) return makeError(rows.error());
  PendingBatch batch;
  for (int row = 0; row < rows->rows(); ++row) {
    batch.events.push_back(eventFromRow(*rows, row));
    batch.attempts.push_back(std::stoi(std::string(rows->get(row, 14))));
    batch.first_failures.push_back(rows->isNull(row, 15) ? std::nullopt
                                                         : std::optional(std::stoll(std::string(rows->get(row, 15)))));
  }
  return batch;
}

Result<std::vector<double>> DeliveryStore::markDelivered(const std::string& endpoint,
                                                         const std::vector<std::string>& ids) {
  auto rows = run("webhook_mark_delivered",
      "UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, finished_at = now(),"
      " last_error = NULL WHERE endpoint = $1 AND event_id = ANY($2::uuid[]) AND status = 'pending'"
      " RETURNING extract(epoch FROM clock_timestamp() - enqueued_at)",
      {endpoint, webhook::pgTextArray(ids)});
  if (!rows) return makeError(rows.error());
  std::vector<double> lags;
  for (int row = 0; row < rows->rows(); ++row) lags.push_back(std::stod(std::string(rows->get(row, 0))));
  return lags;
}

// One failed attempt at pending deliveries: $1 endpoint, $2 event ids, $3 the error; `also_set`:
// the other columns the outcome of the attempt sets ("status = ..., " or nothing).
Status DeliveryStore::markAttempted(const std::string& name, std::string_view also_set, const std::string& endpoint,
                                    const std::vector<std::string>& ids, const std::string& error) {
  const std::string sql = fmt::format(
      "UPDATE webhook_deliveries SET {}attempts = attempts + 1, first_failure_at = coalesce(first_failure_at, now()),"
      " last_error = $3 WHERE endpoint = $1 AND event_id = ANY($2::uuid[]) AND status = 'pending'",
      also_set);
  auto done = run(name, sql.c_str(), {endpoint, webhook::pgTextArray(ids), toValidUtf8(error)});
  if (!done) return makeError(done.error());
  return {};
}

Status DeliveryStore::markRetry(const std::string& endpoint, const std::vector<std::string>& ids,
                                 const std::string& error) {
  return markAttempted("webhook_mark_retry", "", endpoint, ids, error);
}

Status DeliveryStore::markFailed(const std::string& endpoint, const std::vector<std::string>& ids,
                                 const std::string& error) {
  return markAttempted("webhook_mark_failed", "status = 'failed', finished_at = now(), ", endpoint, ids, error);
}

Status DeliveryStore::markParked(const std::string& endpoint, const std::vector<std::string>& ids,
                                 const std::string& error) {
  return markAttempted("webhook_mark_parked", "status = 'parked', parked_at = now(), ", endpoint, ids, error);
}

Result<std::map<std::string, double>> DeliveryStore::countsByEndpoint(const std::string& status) {
  auto rows = conn_.exec("SELECT endpoint, count(*) FROM webhook_deliveries WHERE status = $1 GROUP BY endpoint",
                         {status});
  if (!rows) return makeError(rows.error());
  std::map<std::string, double> counts;
  for (int row = 0; row < rows->rows(); ++row) counts[std::string(rows->get(row, 0))] = std::stod(std::string(rows->get(row, 1)));
  return counts;
}

Result<std::pair<std::vector<ParkedDelivery>, std::size_t>> DeliveryStore::parked(int limit) {
  auto rows = conn_.exec(kParked, {std::to_string(limit)});
  if (!rows) return makeError(rows.error());
  std::vector<ParkedDelivery> parked;
  std::size_t total = 0;
  for (int row = 0; row < rows->rows(); ++row) {
    parked.push_back({std::string(rows->get(row, 0)), std::string(rows->get(row, 1)), std::string(rows->get(row, 2)),
                      std::string(rows->get(row, 3)), std::string(rows->get(row, 5)), std::string(rows->get(row, 6)),
                      std::stoi(std::string(rows->get(row, 4))), std::string(rows->get(row, 7))});
    total = std::stoul(std::string(rows->get(row, 8)));
  }
  return std::pair{std::move(parked), total};
}

Result<ReplayCount> DeliveryStore::replayParked(const std::string& endpoint, const std::string& event_id) {
  auto rows = conn_.exec(kReplayParked, {endpoint, event_id});
  if (!rows) return makeError(rows.error());
  ReplayCount count;
  for (int row = 0; row < rows->rows(); ++row) ++(rows->get(row, 0) == "pending" ? count.moved : count.resent);
  return count;
}

Result<std::size_t> DeliveryStore::pruneFinished(int limit) {
  auto rows = conn_.exec(
      "DELETE FROM webhook_deliveries WHERE ctid = ANY(ARRAY(SELECT ctid FROM webhook_deliveries"
      " WHERE status <> 'pending' AND status <> 'parked' AND finished_at < now() - CASE status WHEN 'delivered' THEN interval '7 days'"
      " ELSE interval '30 days' END LIMIT $1))",
      {std::to_string(limit)});
  if (!rows) return makeError(rows.error());
  return static_cast<std::size_t>(std::stoul(rows->affected().empty() ? "0" : rows->affected()));
}

Result<double> DeliveryStore::outboxDepth() {
  auto rows = conn_.exec("SELECT count(*) FROM webhook_outbox");
  if (!rows) return makeError(rows.error());
  return std::stod(std::string(rows->get(0, 0)));
}

Result<bool> DeliveryStore::tryLead() {
  auto locked = conn_.exec("SELECT pg_try_advisory_lock(hashtext('waybill-webhookd'))");
  if (!locked) return makeError(locked.error());
  return locked->get(0, 0) == "t";
}

Status DeliveryStore::listen() {
  if (auto listen = conn_.exec("LISTEN waybill_webhooks"); !listen) return makeError(listen.error());
  return {};
}

Result<std::vector<EndpointCounts>> DeliveryStore::endpointCounts() {
  auto rows = conn_.exec(
      "SELECT endpoint, count(*) FILTER (WHERE status = 'pending'), count(*) FILTER (WHERE status = 'delivered'),"
      " count(*) FILTER (WHERE status = 'failed'), count(*) FILTER (WHERE status = 'parked'),"
      " coalesce(extract(epoch FROM now() - min(enqueued_at) FILTER (WHERE status = 'pending'))::bigint, 0)"
      " FROM webhook_deliveries GROUP BY endpoint");
  return mapRows(rows, textRow<EndpointCounts, 6>);
}

bool DeliveryStore::isTime(const std::string& text) { return conn_.exec("SELECT $1::timestamptz", {text}).ok(); }

Result<std::vector<SourceEvent>> DeliveryStore::eventsSince(const std::string& since) {
  auto rows = conn_.exec(
      "SELECT source, id, occurred_at, type, coalesce(sender, ''),"
      " CASE WHEN source = 'events' THEN coalesce(lower(recipient), '') ELSE '' END FROM webhook_event_source"
      " WHERE occurred_at >= $1::timestamptz ORDER BY occurred_at, id", {since});
  return mapRows(rows, textRow<SourceEvent, 6>);
}

Status DeliveryStore::requeue(const std::vector<Requeued>& deliveries) {
  std::vector<std::string> names, ids, sources, occurred, keys;
  for (const Requeued& delivery : deliveries) {
    names.push_back(delivery.endpoint);
    ids.push_back(delivery.event->id);
    sources.push_back(delivery.event->source);
    occurred.push_back(delivery.event->occurred_at);
    keys.push_back(delivery.event->recipient_key);
  }
  // Sequence numbers are drawn after the sort (the inner query), so they follow occurred_at.
  auto inserted = conn_.exec(
      "INSERT INTO webhook_deliveries (endpoint, event_id, source, occurred_at, seq, enqueued_at, recipient_key)"
      " SELECT n, i, s, o, nextval('webhook_outbox_seq_seq'), clock_timestamp(), NULLIF(rk, '') FROM ("
      "  SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::timestamptz[], $5::text[])"
      "  WITH ORDINALITY AS r(n, i, s, o, rk, k) ORDER BY k) sorted"
      " ON CONFLICT (endpoint, event_id) DO UPDATE SET status = 'pending', attempts = 0, first_failure_at = NULL,"
      " last_error = NULL, finished_at = NULL, parked_at = NULL, parked_behind = NULL, seq = EXCLUDED.seq,"
      " enqueued_at = EXCLUDED.enqueued_at, recipient_key = EXCLUDED.recipient_key",
      {webhook::pgTextArray(names), webhook::pgTextArray(ids), webhook::pgTextArray(sources),
       webhook::pgTextArray(occurred), webhook::pgTextArray(keys)});
  if (!inserted) return makeError(inserted.error());
  return {};
}

}  // namespace waybill::webhooks
