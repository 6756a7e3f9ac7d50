#include "store/api_read_store.h"

#include <nlohmann/json.hpp>

namespace waybill::store {
namespace {

// The domain of the address at the end of a From header ("Ann <ann@Shop.Example>").
constexpr const char* kFromDomain = "lower(substring(m.from_header from '@([^@<>[:space:]]+)>?[[:space:]]*$'))";

// Events logged in the same microsecond (an attempt logged in the second its message was accepted
// is placed at the acceptance) keep the order of a message's life.
constexpr const char* kLifeOrder =
    "coalesce(array_position(ARRAY['accepted', 'held', 'released', 'cancelled', 'suppressed', 'deferred', 'delivered', "
    "'bounced', 'opened', 'clicked', 'unsubscribed', 'complained'], e.type), 99)";

std::string domainList(const std::vector<std::string>& domains) { return nlohmann::json(domains).dump(); }

}  // namespace

Result<std::optional<std::string>> messageWithTimeline(PgConnection& conn, const std::string& message_id_header,
                                                        const std::vector<std::string>& domains) {
  auto rows = conn.exec(std::string(R"SQL(
SELECT jsonb_build_object(
  'message_id', '<' || m.message_id_header || '>', 'from', m.from_header, 'subject', m.subject, 'tags', to_jsonb(m.tags), 'metadata', m.metadata,
  'created_at', to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
  'recipients', coalesce((
    SELECT jsonb_agg(jsonb_build_object(
      'id', r.id, 'to', r.address, 'status', r.status, 'status_detail', r.status_detail,
      'events', coalesce((
        SELECT jsonb_agg(jsonb_build_object(
          'type', e.type, 'occurred_at', to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
          'details', e.details) ORDER BY e.occurred_at, )SQL") + kLifeOrder + R"SQL(, e.id)
        FROM events e WHERE e.recipient_id = r.id), '[]'::jsonb)) ORDER BY r.address)
    FROM recipients r WHERE r.message_id = m.id), '[]'::jsonb))::text
FROM messages m
WHERE m.message_id_header = $1 AND )SQL" + kFromDomain + " IN (SELECT jsonb_array_elements_text($2::jsonb))",
                        {message_id_header, domainList(domains)});
  if (!rows) return makeError(rows.error());
  if (rows->rows() == 0) return std::optional<std::string>();
  return std::optional<std::string>(std::string(rows->get(0, 0)));
}

Result<EventPage> eventPage(PgConnection& conn, const EventQuery& query) {
  const std::string sql = std::string(R"SQL(
SELECT e.id::text || '|' || )SQL") + kLifeOrder + R"SQL(, to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
       jsonb_build_object('id', e.id, 'type', e.type,
                          'occurred_at', to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                          'message_id', '<' || m.message_id_header || '>', 'recipient_id', e.recipient_id,
                          'recipient', e.recipient, 'details', e.details)::text
FROM events e JOIN messages m ON m.id = e.message_id
WHERE )SQL" + kFromDomain + R"SQL( IN (SELECT jsonb_array_elements_text($1::jsonb))
  AND ($2 = '' OR lower(e.recipient) = $2)
  AND ($3 = '' OR e.type = $3)
  AND ($4 = '' OR e.occurred_at >= $4::timestamptz)
  AND ($5 = '' OR (e.occurred_at, )SQL" + kLifeOrder + R"SQL(, e.id) >
                  ($5::timestamptz, split_part($6, '|', 2)::int, split_part($6, '|', 1)::uuid))
ORDER BY e.occurred_at, )SQL" + kLifeOrder + R"SQL(, e.id
LIMIT $7::int)SQL";
  auto rows = conn.exec(sql, {domainList(query.domains), query.recipient.value_or(""), query.type.value_or(""),
                              query.since.value_or(""), query.after ? query.after->first : "",
                              query.after ? query.after->second : "00000000-0000-0000-0000-000000000000|0",
                              std::to_string(query.limit)});
  if (!rows) return makeError(rows.error());
  EventPage page;
  page.events_json = "[";
  for (int row = 0; row < rows->rows(); ++row) page.events_json += (row ? "," : "") + std::string(rows->get(row, 2));
  page.events_json += "]";
  if (rows->rows() == query.limit && query.limit > 0)
    page.last = std::make_pair(std::string(rows->get(rows->rows() - 1, 1)), std::string(rows->get(rows->rows() - 1, 0)));
  return page;
}

}  // namespace waybill::store
