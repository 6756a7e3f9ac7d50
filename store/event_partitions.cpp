#include "store/event_partitions.h"

#include <fmt/format.h>

namespace waybill::store {

Result<std::string> retentionCutoff(PgConnection& conn, const std::string& interval) {
  if (auto tz = conn.exec("SET TIME ZONE 'UTC'"); !tz) return makeError(tz.error());
  auto cutoff = conn.exec("SELECT (now() - $1::interval)::text", {interval});
  if (!cutoff) return makeError(cutoff.error());
  return std::string(cutoff->get(0, 0));
}

Result<std::vector<std::string>> eventPartitions(PgConnection& conn) {
  auto rows = conn.exec(
      "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
      " WHERE i.inhparent = 'events'::regclass ORDER BY c.relname");
  if (!rows) return makeError(rows.error());
  std::vector<std::string> names;
  for (int r = 0; r < rows->rows(); ++r) names.emplace_back(rows->get(r, 0));
  return names;
}

Status dropEventPartition(PgConnection& conn, const std::string& name) {
  if (auto dropped = conn.exec(fmt::format("DROP TABLE {}", name)); !dropped) return makeError(dropped.error());
  return {};
}

Result<std::string> deleteOldDefaultEvents(PgConnection& conn, const std::string& interval) {
  auto stray = conn.exec("DELETE FROM events_default WHERE occurred_at < now() - $1::interval", {interval});
  if (!stray) return makeError(stray.error());
  return stray->affected();
}

Result<std::string> createFuturePartitions(PgConnection& conn) {
  auto created = conn.exec("SELECT waybill_events_ensure_partitions(now(), now() + interval '12 months')");
  if (!created) return makeError(created.error());
  return std::string(created->get(0, 0));
}

}  // namespace waybill::store
