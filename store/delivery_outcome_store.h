// The one dedupe rule of final delivery outcomes (sql/migrations/0011_delivery_log.sql): the
// `delivered` or `bounced` outcome of one recipient in one Postfix queue file is stored once,
// whether waybill-logd reads it from Postfix's log or waybill-pipe from the DSN Postfix mailed
// (its X-Postfix-Queue-ID names the queue file). Both claim the same key in the transaction that
// stores the event; the second claimant stores no event. Other DSNs (a remote server's later
// bounce) name no queue file of ours and claim nothing.
//
//   auto first = claimDeliveryOutcome(conn, "bounced", recipient_id, queue_id, "pipe");
//   if (first && *first) insertEvent(...);
#pragma once

#include <string>
#include <string_view>

#include "store/pg_connection.h"
#include "util/result.h"

namespace waybill {

// "<type>/<recipient id>/<queue id>"; the SQL of waybill-logd builds the same text
// (store/delivery_log_store.cpp).
std::string deliveryOutcomeKey(std::string_view type, std::string_view recipient_id, std::string_view queue_id);

// True when the outcome was not stored before (the caller stores its event now).
Result<bool> claimDeliveryOutcome(PgConnection& conn, std::string_view type, const std::string& recipient_id,
                                  std::string_view queue_id, std::string_view source);

inline bool isFinalOutcome(std::string_view type) { return type == "delivered" || type == "bounced"; }

}  // namespace waybill
