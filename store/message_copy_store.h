// MessageCopyStore: the milter's rows beyond the accepted message (sql/migrations/0002_links.sql):
// the links of each recipient's copy, and the idempotency records of re-injected copies.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "store/pg_connection.h"
#include "util/uuid.h"

namespace waybill::store {

// For all copies of a message, one round trip each: which of them an earlier attempt injected (ids
// as Uuid::toString), and recording those just injected (addresses[i] belongs to recipient_ids[i]).
// A copy is settled when the listener's 250 was seen, or when Postfix's queue manager logged its
// queue file (waybill-logd, migration 0017); one recorded without either (migration 0014) is
// unsettled: in Postfix's queue or not, nobody knows yet.
struct InjectedCopies {
  std::set<std::string> settled;
  std::set<std::string> unsettled;
};
Result<InjectedCopies> copiesInjected(PgConnection& conn, const std::vector<Uuid>& recipient_ids);
Status recordCopies(PgConnection& conn, const Uuid& message_id, const std::vector<Uuid>& recipient_ids,
                    const std::vector<std::string>& addresses, const std::vector<bool>& confirmed);
// The queue id of a re-injected copy, so waybill-logd maps its delivery log lines to the
// recipient (sql/migrations/0011_delivery_log.sql). Idempotent.
Status recordCopyQueueId(PgConnection& conn, const Uuid& message_id, const Uuid& recipient_id,
                         const std::string& queue_id);

}  // namespace waybill::store
