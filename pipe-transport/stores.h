// The three stores behind storeMessage(): bounces (DSN, text, ARF, auto-replies), unsubscribe
// mail to unsub+TOKEN@, and inbound mail. Each runs inside the caller's transaction.
#pragma once

#include "pipe_store.h"

namespace waybill::pipe {

Result<StoreOutcome> storeBounce(PgConnection& conn, const PipeEnvelope& envelope, std::string_view raw,
                                 const Config& config, const TokenCodec* codec);
Result<StoreOutcome> storeUnsubscribe(PgConnection& conn, const PipeEnvelope& envelope, std::string_view raw,
                                      const Config& config, const TokenCodec* codec);
Result<StoreOutcome> storeInbound(PgConnection& conn, const PipeEnvelope& envelope, std::string_view raw);

}  // namespace waybill::pipe
