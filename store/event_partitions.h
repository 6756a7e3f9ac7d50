// EventPartitions: the SQL of `waybill db prune`: the monthly partitions of `events`
// (sql/migrations/0007), dropped whole when older than the retention, the default partition's old
// rows, and the partitions of the months ahead. Which partitions go is decided by the CLI
// (core/report/retention.h).
#pragma once

#include <string>
#include <vector>

#include "store/pg_connection.h"
#include "util/result.h"

namespace waybill::store {

// Switches the session to UTC (partition months are UTC months) and returns now() - interval as text.
Result<std::string> retentionCutoff(PgConnection& conn, const std::string& interval);
// The partitions' names, sorted.
Result<std::vector<std::string>> eventPartitions(PgConnection& conn);
// `name` must be one of eventPartitions' (events_pYYYY_MM: no quoting needed).
Status dropEventPartition(PgConnection& conn, const std::string& name);
// Deletes events_default rows older than the interval; returns how many.
Result<std::string> deleteOldDefaultEvents(PgConnection& conn, const std::string& interval);
// Creates the next 12 months' partitions; returns how many were created.
Result<std::string> createFuturePartitions(PgConnection& conn);

}  // namespace waybill::store
