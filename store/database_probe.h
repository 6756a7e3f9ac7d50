// The `waybill_database_up` gauge every daemon exports, and databaseAnswers: one round trip
// through a daemon's pool, for daemons whose connections are only used per request (milter,
// waybill-piped), read at scrape time.
#pragma once

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <string>

#include "store/connection_pool.h"

namespace waybill::metrics {

// `how` says what 1 means for this daemon (which connection, when probed).
inline prometheus::Gauge& addDatabaseUpGauge(prometheus::Registry& registry, const std::string& daemon,
                                             const std::string& how) {
  return prometheus::BuildGauge()
      .Name("waybill_database_up")
      .Help("1 while the daemon's database connection works" + (how.empty() ? "" : " (" + how + ")") + ".")
      .Register(registry)
      .Add({{"daemon", daemon}});
}

inline bool databaseAnswers(ConnectionPool& pool) {
  auto lease = pool.acquire();
  return lease && (*lease)->exec("SELECT 1").ok();
}

}  // namespace waybill::metrics
