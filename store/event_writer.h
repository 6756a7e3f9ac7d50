// EventWriter: the one writer of `events`. Every daemon and the CLI store their events through it,
// either as typed rows (writeEvents) or, where the events come out of other rows inside one
// atomic statement (a data-modifying CTE, a COPY batch), as the INSERT it builds (insertEventsSql).
//
// The one rule against duplicates: an event's id names it, and an id is stored once. A writer
// that may write an event again (a retry, a replayed spool file, a log line read twice) gives it
// the same id every time and, where it can, the same occurred_at: the primary key (id,
// occurred_at) then catches the repeat (ON CONFLICT DO NOTHING; sql/migrations/0007 says why
// there is no conflict target). Events that are never written twice get a fresh id
// (gen_random_uuid()); what makes them once-only is the statement around them (a message's id,
// pipe_messages' dedupe key, the locked schedule row). The one exception is named: a source
// whose repeats carry the same id but a new time (`retimed`) is first checked by id.
//
//   writeEvents(conn, {{.id = id, .type = "suppressed", .recipient = rcpt}}, Repeats::WithNewTime);
//   const std::string sql = insertEventsSql({.columns = "id, type, recipient_id",
//                                            .rows = "gen_random_uuid(), 'held', held.id FROM held"});
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/pg_connection.h"
#include "util/result.h"
#include "util/uuid.h"

namespace waybill::store {

// How a writer's repeats look. SameTime is the rule; WithNewTime costs one index probe per
// partition of `events` per row, so only writers whose repeats cannot keep the time use it.
enum class Repeats {
  SameTime,     // a repeat has the id and occurred_at of the first write (or never happens)
  WithNewTime,  // a repeat has the id but a later occurred_at (a client's retried transaction)
};

// One event as a daemon knows it; empty optionals are SQL NULL.
struct EventRow {
  Uuid id = Uuid::random();
  std::optional<std::chrono::system_clock::time_point> occurred_at{};  // unset: the transaction's time
  std::string type{};
  std::optional<std::string> message_id{};    // uuid text
  std::optional<std::string> recipient_id{};  // uuid text
  std::optional<std::string> recipient{};
  std::optional<std::string> sender{};
  nlohmann::json details = nlohmann::json::object();
  std::optional<std::string> details_json{};  // JSON text, when the caller has it so (wins over details)
};

// One statement for all rows (they travel as one JSON array: far cheaper for PostgreSQL than a
// statement per row). Text that is not UTF-8 is replaced, never refused.
Status writeEvents(PgConnection& conn, const std::vector<EventRow>& rows, Repeats repeats = Repeats::SameTime);

// An INSERT of events computed by a query, for statements that must stay one statement.
struct EventSource {
  std::string_view columns = {};       // columns of `events`, in the order `rows` lists them
  std::string_view rows = {};          // what follows SELECT: the values, FROM ..., without WHERE
  std::string_view where = {};         // condition on the rows (empty: all)
  std::string_view id = {};            // the id expression in `rows` (needed with `retimed`)
  std::string_view retimed = {};       // condition: rows whose repeats carry a new time (Repeats::WithNewTime)
  std::string_view returning = {};     // RETURNING list (empty: none)
};
std::string insertEventsSql(const EventSource& source);

}  // namespace waybill::store
