// `waybill db prune --older-than 13months [--dry-run]`: drops the monthly `events` partitions
// whose whole month is older than the retention (instant, no row-by-row DELETE), removes equally
// old rows from events_default, and creates the next 12 months' partitions. Run it from cron.
#include <fmt/format.h>

#include "commands.h"
#include "store/event_partitions.h"
#include "store/pg_connection.h"
#include "report/retention.h"

namespace waybill::cli {
namespace {

constexpr const char* kUsage = "usage: waybill db prune --older-than RETENTION [--dry-run]  (RETENTION: 13months, 400days, 2years)\n";

// Drops the partitions and the default partition's old rows; prints what it does.
Status prune(PgConnection& conn, const std::string& interval, bool dry_run) {
  auto cutoff_row = store::retentionCutoff(conn, interval);
  if (!cutoff_row) return makeError(cutoff_row.error());
  const std::string cutoff_text = *cutoff_row;
  const auto cutoff = report::parseDate(cutoff_text);
  if (!cutoff) return makeError(fmt::format("unexpected cutoff '{}'", cutoff_text));
  auto names = store::eventPartitions(conn);
  if (!names) return makeError(names.error());
  const auto doomed = report::partitionsBefore(*names, *cutoff);
  fmt::print("cutoff {} ({} ago): {} of {} partitions to drop{}\n", cutoff_text.substr(0, 19), interval,
             doomed.size(), names->size(), dry_run ? " (dry run)" : "");
  for (const auto& name : doomed) {
    // The name matched events_pYYYY_MM (partitionEnd), so it needs no quoting.
    if (!dry_run) {
      if (auto dropped = store::dropEventPartition(conn, name); !dropped) return dropped;
    }
    fmt::print("{} {}\n", dry_run ? "would drop" : "dropped", name);
  }
  if (dry_run) return {};
  auto stray = store::deleteOldDefaultEvents(conn, interval);
  if (!stray) return makeError(stray.error());
  auto created = store::createFuturePartitions(conn);
  if (!created) return makeError(created.error());
  fmt::print("deleted {} old rows from events_default; created {} future partitions\n", *stray, *created);
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
  DatabaseConfig database = config.database;
  database.timeout_seconds = 0;  // pruning a large table takes as long as it takes
  auto conn = PgConnection::connect(database);
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
