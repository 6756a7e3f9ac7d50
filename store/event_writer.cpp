#include "store/event_writer.h"

#include <fmt/format.h>

#include "util/utf8.h"

namespace waybill::store {
namespace {

// The row mapping of writeEvents: one JSON object per event; absent keys are NULL.
constexpr std::string_view kJsonColumns = "id, occurred_at, type, message_id, recipient_id, recipient, sender, details";
constexpr std::string_view kJsonRows =
    "(e->>'id')::uuid, COALESCE(to_timestamp((e->>'at')::double precision), now()), e->>'type', "
    "(e->>'message_id')::uuid, (e->>'recipient_id')::uuid, e->>'recipient', e->>'sender', "
    "COALESCE((e->>'details_json')::jsonb, e->'details', '{}'::jsonb) FROM jsonb_array_elements($1::jsonb) AS e";

nlohmann::json toJson(const EventRow& row) {
  nlohmann::json j = {{"id", row.id.toString()}, {"type", row.type}};
  if (row.details_json) j["details_json"] = *row.details_json;
  else j["details"] = row.details;
  if (row.occurred_at) j["at"] = std::chrono::duration<double>(row.occurred_at->time_since_epoch()).count();
  const std::pair<const char*, const std::optional<std::string>*> optional[] = {
      {"message_id", &row.message_id}, {"recipient_id", &row.recipient_id}, {"recipient", &row.recipient},
      {"sender", &row.sender}};
  for (const auto& [key, value] : optional)
    if (*value) j[key] = toValidUtf8(**value);
  return j;
}

}  // namespace

std::string insertEventsSql(const EventSource& source) {
  std::string conditions;
  if (!source.where.empty()) conditions = fmt::format("({})", source.where);
  if (!source.retimed.empty()) {
    // An id already stored at another time is a repeat too (the primary key cannot see it).
    const std::string not_stored = fmt::format("NOT EXISTS (SELECT 1 FROM events earlier WHERE earlier.id = {})", source.id);
    const std::string check = source.retimed == "true" ? not_stored : fmt::format("(NOT ({}) OR {})", source.retimed, not_stored);
    conditions = conditions.empty() ? check : conditions + " AND " + check;
  }
  std::string sql = fmt::format("INSERT INTO events ({})\nSELECT {}\n", source.columns, source.rows);
  if (!conditions.empty()) sql += "WHERE " + conditions + "\n";
  sql += "ON CONFLICT DO NOTHING";
  if (!source.returning.empty()) sql += "\nRETURNING " + std::string(source.returning);
  return sql;
}

Status writeEvents(PgConnection& conn, const std::vector<EventRow>& rows, Repeats repeats) {
  if (rows.empty()) return {};
  nlohmann::json array = nlohmann::json::array();
  for (const EventRow& row : rows) array.push_back(toJson(row));
  static const std::string kSameTime = insertEventsSql({.columns = kJsonColumns, .rows = kJsonRows});
  static const std::string kWithNewTime =
      insertEventsSql({.columns = kJsonColumns, .rows = kJsonRows, .id = "(e->>'id')::uuid", .retimed = "true"});
  auto inserted = conn.exec(repeats == Repeats::SameTime ? kSameTime : kWithNewTime,
                            {array.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
  if (!inserted) return makeError(inserted.error());
  return {};
}

}  // namespace waybill::store
