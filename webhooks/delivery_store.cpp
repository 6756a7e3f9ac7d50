#include "delivery_store.h"

#include <fmt/format.h>

#include "util/utf8.h"
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
SELECT t.seq, t.source, t.event_id, t.occurred_at, t.enqueued_at, s.type, coalesce(s.sender, '')
FROM taken t
JOIN webhook_event_source s ON s.source = t.source AND s.id = t.event_id AND s.occurred_at = t.occurred_at
ORDER BY t.seq)";

// A replayed event becomes pending again (receivers deduplicate by event id).
constexpr const char* kInsertDeliveries = R"(
INSERT INTO webhook_deliveries (endpoint, event_id, source, occurred_at, seq, enqueued_at)
SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::timestamptz[], $5::bigint[], $6::timestamptz[])
ON CONFLICT (endpoint, event_id) DO UPDATE
  SET status = 'pending', attempts = 0, first_failure_at = NULL, last_error = NULL, finished_at = NULL,
      seq = EXCLUDED.seq, enqueued_at = EXCLUDED.enqueued_at)";

constexpr const char* kPending = R"(
SELECT d.seq, s.id, s.type,
       to_char(s.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
       s.message_id, s.recipient_id, s.recipient, s.sender, s.url, s.ip, s.user_agent, s.machine,
       s.machine_reason, s.details::text, d.attempts, floor(extract(epoch FROM d.first_failure_at))::bigint
FROM (SELECT * FROM webhook_deliveries WHERE endpoint = $1 AND status = 'pending' ORDER BY seq LIMIT {}) d
JOIN webhook_event_source s ON s.source = d.source AND s.id = d.event_id AND s.occurred_at = d.occurred_at
ORDER BY d.seq)";

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
  return event;
}

std::string resultError(PGresult* result, PGconn* conn) {
  std::string message = result ? PQresultErrorMessage(result) : PQerrorMessage(conn);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return "database: " + message;
}

}  // namespace

Result<PgResult> DeliveryStore::run(const std::string& name, const char* sql, const std::vector<PgParam>& params) {
  if (prepared_.empty()) {
    // Custom plans would prune partitions at plan time and look cheaper, so PostgreSQL would
    // keep re-planning; a generic plan prunes at run time just as well.
    if (auto set = conn_.exec("SET plan_cache_mode = force_generic_plan"); !set) return makeError(set.error());
  }
  if (!prepared_.contains(name)) {
    PGresult* prepared = PQprepare(conn_.raw(), name.c_str(), sql, 0, nullptr);
    const bool ok = PQresultStatus(prepared) == PGRES_COMMAND_OK;
    std::string error = ok ? "" : resultError(prepared, conn_.raw());
    PQclear(prepared);
    if (!ok) return makeError(error);
    prepared_.insert(name);
  }
  std::vector<const char*> values;
  for (const auto& param : params) values.push_back(param ? param->c_str() : nullptr);
  PGresult* result = PQexecPrepared(conn_.raw(), name.c_str(), static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0);
  const auto status = PQresultStatus(result);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return PgResult(result);
  std::string error = resultError(result, conn_.raw());
  PQclear(result);
  return makeError(error);
}

Status DeliveryStore::setEnabled(bool enabled) {
  auto done = conn_.exec("UPDATE webhook_state SET enabled = $1, updated_at = now() WHERE enabled IS DISTINCT FROM $1",
                         {enabled ? "true" : "false"});
  if (!done) return makeError(done.error());
  return {};
}

Result<FanOutResult> DeliveryStore::fanOut(const std::vector<webhook::WebhookEndpoint>& endpoints, int limit) {
  FanOutResult result;
  std::vector<std::string> names, ids, sources, occurred, seqs, enqueued;
  auto status = inTransaction(conn_, [&]() -> Status {
    const auto sql = fmt::format(fmt::runtime(kTakeOutbox), limit);
    auto rows = run(fmt::format("webhook_take_outbox_{}", limit), sql.c_str(), {});
    if (!rows) return makeError(rows.error());
    result.taken = static_cast<std::size_t>(rows->rows());
    for (int row = 0; row < rows->rows(); ++row) {
      ++result.types[std::string(rows->get(row, 5))];
      for (const auto& endpoint : endpoints) {
        if (!endpoint.wants(rows->get(row, 5), rows->get(row, 6))) continue;
        names.push_back(endpoint.name);
        seqs.emplace_back(rows->get(row, 0));
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
                                                   webhook::pgTextArray(seqs), webhook::pgTextArray(enqueued)});
    if (!inserted) return makeError(inserted.error());
    return {};
  });
  if (!status) return makeError(status.error());
  return result;
}

Result<PendingBatch> DeliveryStore::pending(const std::string& endpoint, int limit) {
  const auto sql = fmt::format(fmt::runtime(kPending), limit);
  auto rows = run(fmt::format("webhook_pending_{}", limit), sql.c_str(), {endpoint});
  if (!rows) return makeError(rows.error());
  PendingBatch batch;
  for (int row = 0; row < rows->rows(); ++row) {
    batch.events.push_back(eventFromRow(*rows, row));
    batch.attempts = std::max(batch.attempts, std::stoi(std::string(rows->get(row, 14))));
    if (!rows->isNull(row, 15)) {
      const std::int64_t failed_at = std::stoll(std::string(rows->get(row, 15)));
      batch.first_failure = batch.first_failure ? std::min(*batch.first_failure, failed_at) : failed_at;
    }
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

Status DeliveryStore::markRetry(const std::string& endpoint, const std::vector<std::string>& ids,
                                const std::string& error) {
  auto done = run("webhook_mark_retry",
      "UPDATE webhook_deliveries SET attempts = attempts + 1, first_failure_at = coalesce(first_failure_at, now()),"
      " last_error = $3 WHERE endpoint = $1 AND event_id = ANY($2::uuid[]) AND status = 'pending'",
      {endpoint, webhook::pgTextArray(ids), toValidUtf8(error)});
  if (!done) return makeError(done.error());
  return {};
}

Status DeliveryStore::markFailed(const std::string& endpoint, const std::vector<std::string>& ids,
                                 const std::string& error) {
  auto done = run("webhook_mark_failed",
      "UPDATE webhook_deliveries SET status = 'failed', attempts = attempts + 1, finished_at = now(),"
      " first_failure_at = coalesce(first_failure_at, now()), last_error = $3"
      " WHERE endpoint = $1 AND event_id = ANY($2::uuid[]) AND status = 'pending'",
      {endpoint, webhook::pgTextArray(ids), toValidUtf8(error)});
  if (!done) return makeError(done.error());
  return {};
}

Result<std::map<std::string, double>> DeliveryStore::pendingCounts() {
  auto rows = conn_.exec("SELECT endpoint, count(*) FROM webhook_deliveries WHERE status = 'pending' GROUP BY endpoint");
  if (!rows) return makeError(rows.error());
  std::map<std::string, double> counts;
  for (int row = 0; row < rows->rows(); ++row) counts[std::string(rows->get(row, 0))] = std::stod(std::string(rows->get(row, 1)));
  return counts;
}

Result<std::size_t> DeliveryStore::pruneFinished(int limit) {
  auto rows = conn_.exec(
      "DELETE FROM webhook_deliveries WHERE ctid = ANY(ARRAY(SELECT ctid FROM webhook_deliveries"
      " WHERE status <> 'pending' AND finished_at < now() - CASE status WHEN 'delivered' THEN interval '7 days'"
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

}  // namespace waybill::webhooks
