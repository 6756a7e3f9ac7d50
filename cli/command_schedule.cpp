// `waybill schedule list [--all]` and `waybill schedule cancel ID`: messages held until their
// X-Waybill-Send-At time. Cancel (by message id or queue id) deletes the message from this host's
// hold queue through the hold helper and records `cancelled` for each recipient.
#include <fmt/format.h>

#include "commands.h"
#include "db/pg_connection.h"
#include "policy/hold_command.h"

namespace waybill::cli {
namespace {

constexpr const char* kUsage =
    "usage: waybill schedule list [--all]      held messages (--all: also released/cancelled/failed)\n"
    "       waybill schedule cancel ID         ID: message id (uuid) or Postfix queue id\n";

template <typename... T>
int fail(int exit_code, fmt::format_string<T...> format, T&&... args) {
  fmt::print(stderr, format, std::forward<T>(args)...);
  return exit_code;
}

int list(PgConnection& conn, const Args& args) {
  const bool all = args.size() == 1 && args[0] == "--all";
  if (!args.empty() && !all) return fail(64, "{}", kUsage);
  auto rows = conn.exec(
      "SELECT s.message_id, s.queue_id, to_char(s.send_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
      "s.status, m.envelope_sender, coalesce(m.subject, '') FROM scheduled_messages s "
      "JOIN messages m ON m.id = s.message_id WHERE $1 OR s.status = 'held' ORDER BY s.send_at",
      {all ? "true" : "false"});
  if (!rows) return fail(70, "waybill schedule list: {}\n", rows.error());
  fmt::print("{:<36} {:<12} {:<20} {:<9} {:<30} {}\n", "MESSAGE", "QUEUE_ID", "SEND_AT", "STATUS", "SENDER", "SUBJECT");
  for (int r = 0; r < rows->rows(); ++r)
    fmt::print("{:<36} {:<12} {:<20} {:<9} {:<30} {}\n", rows->get(r, 0), rows->get(r, 1), rows->get(r, 2),
               rows->get(r, 3), rows->get(r, 4), rows->get(r, 5));
  return 0;
}

constexpr const char* kMarkCancelled = R"SQL(
WITH cancelled AS (
  UPDATE scheduled_messages SET status = 'cancelled', updated_at = now() WHERE message_id = $1 RETURNING message_id
), recipients_cancelled AS (
  UPDATE recipients SET status = 'cancelled', updated_at = now()
  WHERE message_id = $1 AND status = 'held' RETURNING id, address
)
INSERT INTO events (id, type, message_id, recipient_id, recipient, details)
SELECT gen_random_uuid(), 'cancelled', $1, r.id, r.address, jsonb_build_object('queue_id', $2::text, 'by', 'cli')
FROM recipients_cancelled r
)SQL";

int cancel(const Config& config, PgConnection& conn, const std::string& id) {
  int exit_code = 0;
  Status done = inTransaction(conn, [&]() -> Status {
    // NOWAIT: if the scheduler is releasing this very message right now, say so instead of waiting.
    auto found = conn.exec(
        "SELECT message_id, queue_id, host FROM scheduled_messages WHERE status = 'held' "
        "AND (message_id::text = $1 OR queue_id = $1) FOR UPDATE NOWAIT",
        {id});
    if (!found) return makeError(found.error());
    if (found->rows() != 1) {
      exit_code = 1;
      return makeError(fmt::format("no held message {}", id));
    }
    const std::string message_id(found->get(0, 0)), queue_id(found->get(0, 1)), host(found->get(0, 2));
    if (host != policy::localHostName()) {
      exit_code = 69;
      return makeError(fmt::format("message {} is held on host {}: cancel it there", message_id, host));
    }
    auto deleted = policy::runHoldHelper(config.policyd, policy::HoldAction::Delete, queue_id);
    if (!deleted) {
      exit_code = 75;
      return makeError(deleted.error());
    }
    if (*deleted == policy::HoldOutcome::NotHeld)
      fmt::print(stderr, "waybill schedule cancel: queue {} was no longer on hold; recording the cancel\n", queue_id);
    auto marked = conn.exec(kMarkCancelled, {message_id, queue_id});
    if (!marked) return makeError(marked.error());
    fmt::print("cancelled message {} (queue {})\n", message_id, queue_id);
    return {};
  });
  if (!done) return fail(exit_code ? exit_code : 70, "waybill schedule cancel: {}\n", done.error());
  return 0;
}

}  // namespace

int runSchedule(const Config& config, const Args& args) {
  if (args.empty() || (args[0] != "list" && args[0] != "cancel") || (args[0] == "cancel" && args.size() != 2))
    return fail(64, "{}", kUsage);
  auto conn = PgConnection::connect(config.database);
  if (!conn) return fail(75, "waybill schedule: {}\n", conn.error());
  if (args[0] == "list") return list(*conn, Args(args.begin() + 1, args.end()));
  return cancel(config, *conn, args[1]);
}

}  // namespace waybill::cli
