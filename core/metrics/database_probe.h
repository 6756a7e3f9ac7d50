// databaseAnswers: one round trip through a daemon's pool, for the `waybill_database_up` gauge
// of daemons whose connections are only used per request (milter), read at scrape time.
#pragma once

#include "db/connection_pool.h"

namespace waybill::metrics {

inline bool databaseAnswers(ConnectionPool& pool) {
  auto lease = pool.acquire();
  return lease && (*lease)->exec("SELECT 1").ok();
}

}  // namespace waybill::metrics
