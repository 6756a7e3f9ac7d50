// TrackingStore: the milter's rows beyond the accepted message (sql/migrations/0002_links.sql):
// the links of each recipient's copy, and the idempotency records of re-injected copies.
#pragma once

#include <string>
#include <vector>

#include "db/pg_connection.h"
#include "util/uuid.h"

namespace waybill::milter {

Result<bool> copyInjected(PgConnection& conn, const Uuid& recipient_id);
Status recordCopy(PgConnection& conn, const Uuid& message_id, const Uuid& recipient_id, const std::string& address);
// Idempotent: a retry writes nothing twice.
Status recordLinks(PgConnection& conn, const Uuid& message_id, const Uuid& recipient_id,
                   const std::vector<std::string>& urls);

}  // namespace waybill::milter
