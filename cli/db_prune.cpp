// `waybill db prune --older-than 13months [--dry-run]`: drops the monthly `events` partitions
// whose whole month is older than the retention (instant, no row-by-row DELETE), removes equally
// old rows from events_default, and creates the next 12 months' partitions. Run it from cron.
#include <fmt/format.h>

#include "commands.h"
#include "db/pg_connection.h"
#include "report/retention.h"

namespace waybill::cli {
namespace {

constexpr const char* kUsage = "usage: waybill db prune --older-than RETENTION [--dry-run]  (RETENTION: 13months, 400days, 2years)\n";

Result<std::vector<std::string>> eventPartitions(PgConnection& conn) {
  auto rows = conn.exec(
      "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
      " WHERE i.inhparent = 'events'::regclass ORDER BY c.relname");
  if (!rows) return makeError(rows.error());
  std::vector<std::string> names;
  for (int r = 0; r < rows->rows(); ++r) names.emplace_back(rows->get(r, 0));
  return names;
}

// Drops the partitions and the default partition's old rows; prints what it does.
Status prune(PgConnection& conn, const std::string& interval, bool dry_run) {
  if (auto tz = conn.exec("SET TIME ZONE 'UTC'"); !tz) return makeError(tz.error());
  auto cutoff_row = conn.exec("SELECT (now() - $1::interval)::text", {interval});
  if (!cutoff_row) return makeError(cutoff_row.error());
  const std::string cutoff_text(cutoff_row->get(0, 0));
  const auto cutoff = report::parseDate(cutoff_text);
  if (!cutoff) return makeError(fmt::format("unexpected cutoff '{}'", cutoff_text));
  auto names = eventPartitions(conn);
  if (!names) return makeError(names.error());
  const auto doomed = report::partitionsBefore(*names, *cutoff);
  fmt::print("cutoff {} ({} ago): {} of {} partitions to drop{}\n", cutoff_text.substr(0, 19), interval,
             doomed.size(), names->size(), dry_run ? " (dry run)" : "");
  for (const auto& name : doomed) {
    // The name matched events_pYYYY_MM (partitionEnd), so it needs no quoting.
    if (!dry_run) {
      if (auto dropped = conn.exec(fmt::format("DROP TABLE {}", name)); !dropped) return makeError(dropped.error());
    }
    fmt::print("{} {}\n", dry_run ? "would drop" : "dropped", name);
  }
  if (dry_run) return {};
  auto stray = conn.exec("DELETE FROM events_default WHERE occurred_at < now() - $1::interval", {interval});
  if (!stray) return makeError(stray.error());
  auto created = conn.exec("SELECT waybill_events_ensure_partitions(now(), now() + interval '12 months')");
  if (!created) return makeError(created.error());
  fmt::print("deleted {} old rows from events_default; created {} future partitions\n", stray->affected(), created->get(0, 0));
  return {};
}

}  // namespace

int pruneEvents(const Config& config, const Args& args) {
  std::string retention;
  bool dry_run = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--older-than" && i + 1 < args.size()) retention = args[++i];
    else if (args[i] == "--dry-run") dry_run = true;
    else {
      fmt::print(stderr, "waybill db prune: unexpected argument '{}'\n{}", args[i], kUsage);
      return 64;
    }
  }
  auto interval = report::parseRetention(retention);
  if (!interval) {
    fmt::print(stderr, "waybill db prune: --older-than: {}\n{}", interval.error(), kUsage);
    return 64;
  }
  auto conn = PgConnection::connect(config.database);
  if (!conn) {
    fmt::print(stderr, "waybill db prune: {}\n", conn.error());
    return 75;
  }
  if (auto pruned = prune(*conn, *interval, dry_run); !pruned) {
    fmt::print(stderr, "waybill db prune: {}\n", pruned.error());
    return 70;
  }
  return 0;
}

}  // namespace waybill::cli
