// `waybill schedule list [--all]` and `waybill schedule cancel ID`: messages held until their
// X-Waybill-Send-At time. Cancel (by message id or queue id) deletes the message from this host's
// hold queue through the hold helper and records `cancelled` for each recipient.
#include <fmt/format.h>

#include "cli_support.h"
#include "commands.h"
#include "store/pg_connection.h"
#include "store/schedule_store.h"
#include "runtime/hold_command.h"

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
  auto rows = store::listScheduled(conn, all);
  if (!rows) return fail(70, "waybill schedule list: {}\n", rows.error());
  fmt::print("{:<36} {:<12} {:<20} {:<9} {:<30} {}\n", "MESSAGE", "QUEUE_ID", "SEND_AT", "STATUS", "SENDER", "SUBJECT");
  for (const store::ScheduledListing& row : *rows)
    fmt::print("{:<36} {:<12} {:<20} {:<9} {:<30} {}\n", row.message_id, row.queue_id, row.send_at, row.status,
               row.sender, row.subject);
  return 0;
}

int cancel(const Config& config, PgConnection& conn, const std::string& id) {
  int exit_code = 0;
  Status done = inTransaction(conn, [&]() -> Status {
    // NOWAIT: if the scheduler is releasing this very message right now, say so instead of waiting.
    auto found = store::lockHeldForCancel(conn, id);
    if (!found) return makeError(found.error());
    if (!*found) {
      exit_code = 1;
      return makeError(fmt::format("no held message {}", id));
    }
    const std::string message_id = (*found)->message_id, queue_id = (*found)->queue_id, host = (*found)->host;
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
    if (auto marked = store::markCancelled(conn, message_id, queue_id); !marked) return marked;
    fmt::print("cancelled message {} (queue {})\n", message_id, queue_id);
    return {};
  });
  if (!done) return fail(exit_code ? exit_code : 70, "waybill schedule cancel: {}\n", done.error());
  return 0;
}

// The first argument runSchedule does not understand, or "" when all are right.
std::string badArgument(const Args& args) {
  if (args.empty()) return "(no subcommand)";
  if (args[0] != "list" && args[0] != "cancel") return args[0];
  if (args[0] == "list") return args.size() > 2 || (args.size() == 2 && args[1] != "--all") ? args.back() : "";
  if (args.size() != 2) return args.size() < 2 ? "(no ID)" : args[2];
  return args[1][0] == '-' ? args[1] : "";
}

}  // namespace

int runSchedule(const Config& config, const Args& args) {
  if (auto bad = badArgument(args); !bad.empty()) return usageError("schedule", unexpected(bad), kUsage);
  int failed = 0;
  auto conn = openDatabase(config, "schedule", failed);
  if (!conn) return failed;
  if (args[0] == "list") return list(*conn, Args(args.begin() + 1, args.end()));
  return cancel(config, *conn, args[1]);
}

const char* scheduleUsage() { return kUsage; }

}  // namespace waybill::cli
