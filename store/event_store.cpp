#include "store/event_store.h"

#include <fmt/format.h>

#include <memory>
#include <unordered_set>

#include "store/event_writer.h"
#include "store/suppression_store.h"
#include "util/utf8.h"

namespace waybill::track {
namespace {

constexpr const char* kCreateBatchTable =
    "CREATE TEMP TABLE IF NOT EXISTS trackd_batch ("
    " id uuid, type text, at_us bigint, recipient_id uuid, url text, ip inet, user_agent text,"
    " machine_reason text, scope text) ON COMMIT DELETE ROWS";

// Message, recipient address and sender come from the milter's rows when they exist; the token
// alone proves the event, so it is stored either way. A click sooner than $1 seconds after the
// message was delivered (recipients.updated_at of a 'delivered' row) or, before a delivery is
// known, accepted, is a scanner's. (Not a search of the recipient's events: that would make each
// click cost as much as all earlier events of its recipient, an easy way to stall the writer.)
constexpr const char* kBatchEvents = R"SQL(
b.id, t.at, b.type, r.message_id, b.recipient_id, r.address, m.envelope_sender,
       NULLIF(b.url, ''), b.ip, NULLIF(b.user_agent, ''),
       COALESCE(b.machine_reason, s.reason) IS NOT NULL, COALESCE(b.machine_reason, s.reason),
       CASE WHEN b.type = 'unsubscribed' THEN jsonb_build_object('scope', b.scope) ELSE '{}'::jsonb END
FROM trackd_batch b
CROSS JOIN LATERAL (SELECT 'epoch'::timestamptz + b.at_us * interval '1 microsecond' AS at) t
LEFT JOIN recipients r ON r.id = b.recipient_id
LEFT JOIN messages m ON m.id = r.message_id
LEFT JOIN LATERAL (
  SELECT 'click_soon_after_send'::text AS reason
  WHERE b.type = 'clicked' AND m.id IS NOT NULL
    AND t.at - COALESCE(CASE WHEN r.status = 'delivered' THEN r.updated_at END, m.created_at)
        < make_interval(secs => $1::int)) s ON true
)SQL";

constexpr const char* kBatchSuppressions = R"SQL(
SELECT DISTINCT ON (1, 2, 3) lower(r.address), b.scope,
       CASE b.scope WHEN 'sender' THEN lower(m.envelope_sender)
                    WHEN 'domain' THEN lower(split_part(m.envelope_sender, '@', 2))
                    ELSE '' END,
       'unsubscribed', 'trackd', jsonb_build_object('event_id', b.id, 'recipient_id', b.recipient_id)
FROM trackd_batch b
JOIN recipients r ON r.id = b.recipient_id
JOIN messages m ON m.id = r.message_id
WHERE b.type = 'unsubscribed'
)SQL";

// The events of the batch, through the one writer (store/event_writer.h). A replayed record has
// the same id and occurred_at, so the primary key catches it. A repeated unsubscription has the
// same id but a new time: it is `retimed`, checked by id.
const std::string& insertEventsStatement() {
  static const std::string sql = store::insertEventsSql({
      .columns = "id, occurred_at, type, message_id, recipient_id, recipient, sender, url, ip, user_agent, machine, "
                 "machine_reason, details",
      .rows = kBatchEvents,
      .id = "b.id",
      .retimed = "b.type = 'unsubscribed'",
  });
  return sql;
}

// Unsubscriptions add suppressions through the one writer (store/suppression_store.h).
const std::string& insertSuppressionsStatement() {
  static const std::string sql = store::insertSuppressionsSql(kBatchSuppressions);
  return sql;
}

void appendCopyField(std::string& out, std::string_view field, bool empty_is_null) {
  if (empty_is_null && field.empty()) {
    out += "\\N";
    return;
  }
  appendEscaped(out, toValidUtf8(field));
}

// A repeated unsubscription reuses its event id: keep one per batch, since NOT EXISTS in the
// INSERT cannot see rows of the same statement.
std::vector<const TrackEvent*> withoutRepeats(const std::vector<TrackEvent>& events) {
  std::vector<const TrackEvent*> kept;
  kept.reserve(events.size());
  std::unordered_set<std::string> unsubscribed;
  for (const auto& event : events)
    if (event.type != EventType::Unsubscribed || unsubscribed.insert(event.id.toString()).second)
      kept.push_back(&event);
  return kept;
}

Status copyBatch(PgConnection& conn, const std::vector<TrackEvent>& all_events) {
  const std::vector<const TrackEvent*> events = withoutRepeats(all_events);
  const std::unique_ptr<PGresult, decltype(&PQclear)> started(PQexec(conn.raw(), "COPY trackd_batch FROM STDIN"),
                                                               &PQclear);
  if (PQresultStatus(started.get()) != PGRES_COPY_IN)
    return makeError(fmt::format("database: COPY refused: {}", PQerrorMessage(conn.raw())));
  std::string chunk;
  for (const TrackEvent* event : events) {
    chunk += copyRow(*event);
    if (chunk.size() >= 256 * 1024 || event == events.back()) {
      if (PQputCopyData(conn.raw(), chunk.data(), static_cast<int>(chunk.size())) != 1)
        return makeError(fmt::format("database: COPY failed: {}", PQerrorMessage(conn.raw())));
      chunk.clear();
    }
  }
  if (PQputCopyEnd(conn.raw(), nullptr) != 1)
    return makeError(fmt::format("database: COPY failed: {}", PQerrorMessage(conn.raw())));
  Status status;
  while (PGresult* result = PQgetResult(conn.raw())) {
    if (PQresultStatus(result) != PGRES_COMMAND_OK)
      status = makeError(fmt::format("database: COPY failed: {}", PQresultErrorMessage(result)));
    PQclear(result);
  }
  return status;
}

}  // namespace

std::string copyRow(const TrackEvent& event) {
  std::string row;
  row.reserve(160 + event.url.size() + event.user_agent.size());
  row += event.id.toString();
  row += '\t';
  row += eventTypeName(event.type);
  row += '\t';
  row += std::to_string(event.occurred_us);
  row += '\t';
  row += event.recipient_id.toString();
  row += '\t';
  appendCopyField(row, event.url, false);
  row += '\t';
  appendCopyField(row, event.ip, true);
  row += '\t';
  appendCopyField(row, event.user_agent, false);
  row += '\t';
  appendCopyField(row, event.machine_reason, true);
  row += '\t';
  appendCopyField(row, event.scope, true);
  row += '\n';
  return row;
}

Result<std::size_t> EventStore::write(PgConnection& conn, const std::vector<TrackEvent>& events) const {
  if (events.empty()) return std::size_t{0};
  // The table exists after the first batch of a connection; keep that notice out of the log.
  // JIT off: the unanalysed temp table makes every batch look huge to the planner, which then
  // spends seconds compiling a plan that runs in far less.
  for (const char* setting : {"SET client_min_messages = warning", "SET jit = off"})
    if (auto set = conn.exec(setting); !set) return makeError(set.error());
  if (auto created = conn.exec(kCreateBatchTable); !created) return makeError(created.error());
  std::size_t inserted = 0;
  Status status = inTransaction(conn, [&]() -> Status {
    if (auto copied = copyBatch(conn, events); !copied) return copied;
    auto rows = conn.exec(insertEventsStatement(), {std::to_string(options_.scanner_click_seconds)});
    if (!rows) return makeError(rows.error());
    inserted = std::stoul(rows->affected());
    if (auto suppressed = conn.exec(insertSuppressionsStatement()); !suppressed) return makeError(suppressed.error());
    return {};
  });
  if (!status) return makeError(status.error());
  return inserted;
}

}  // namespace waybill::track
