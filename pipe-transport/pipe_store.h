// PipeStore: what waybill-pipe does with one message Postfix handed it — decide from the envelope
// recipient whether it is a bounce, unsubscribe mail or inbound mail, and store it in one
// transaction that a retried delivery cannot repeat (dedupe key over envelope and bytes).
//
//   auto outcome = storeMessage(conn, {sender, recipient, queue_id}, raw, config, codec);
//   return outcome ? 0 : 75;   // EX_TEMPFAIL: Postfix keeps the message and retries
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "store/pg_connection.h"
#include "dsn/bounce_report.h"
#include "token/tracking_token.h"
#include "util/result.h"

namespace waybill::pipe {

struct PipeEnvelope {
  std::string sender;     // empty for bounces (null sender)
  std::string recipient;  // the address Postfix delivered to (VERP, unsub+, inbound)
  std::string queue_id;
};

enum class Destination { Bounce, Unsubscribe, Inbound };
enum class StoreOutcome { Stored, AlreadyStored };

// Bounce domain: unsub+TOKEN -> Unsubscribe, anything else -> Bounce; inbound domains -> Inbound;
// other domains (a misrouted transport_maps entry) are read as bounces so nothing is dropped.
Destination routeRecipient(const PipeConfig& pipe, std::string_view recipient);

// codec may be null (no key file): tokens are then not verified and attribution falls back to
// the returned Message-ID and recipient addresses.
Result<StoreOutcome> storeMessage(PgConnection& conn, const PipeEnvelope& envelope, std::string_view raw,
                                  const Config& config, const TokenCodec* codec);

// Helpers shared by the stores.
std::string dedupeKey(const PipeEnvelope& envelope, std::string_view raw);

}  // namespace waybill::pipe
