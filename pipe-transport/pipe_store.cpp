// PipeStore implementation: routing by envelope recipient, the dedupe key, and one transaction
// around whichever store applies.
#include "pipe_store.h"

#include <exception>

#include "dsn/mime_lite.h"
#include "mail/address.h"
#include "stores.h"
#include "util/sha256.h"

namespace waybill::pipe {

Destination routeRecipient(const PipeConfig& pipe, std::string_view recipient) {
  std::string domain = domainOf(recipient);
  if (!pipe.bounce_domain.empty() && domain == toLower(pipe.bounce_domain)) {
    std::string local = toLower(recipient.substr(0, recipient.rfind('@')));
    return local.rfind("unsub+", 0) == 0 ? Destination::Unsubscribe : Destination::Bounce;
  }
  for (const std::string& inbound : pipe.inbound_domains) {
    if (domain == toLower(inbound)) return Destination::Inbound;
  }
  return Destination::Bounce;
}

std::string dedupeKey(const PipeEnvelope& envelope, std::string_view raw) {
  return toHex(Sha256().update(envelope.recipient).update("\n").update(envelope.queue_id).update("\n").update(raw).finish());
}

Result<StoreOutcome> storeMessage(PgConnection& conn, const PipeEnvelope& envelope, std::string_view raw,
                                  const Config& config, const TokenCodec* codec) {
  StoreOutcome outcome = StoreOutcome::Stored;
  Status status = inTransaction(conn, [&]() -> Status {
    // The boundary for this message's bytes: whatever a parser or serializer throws becomes an
    // error here, inside the transaction, so it is rolled back and the connection stays usable.
    try {
      Result<StoreOutcome> stored = makeError("unrouted");
      switch (routeRecipient(config.pipe, envelope.recipient)) {
        case Destination::Bounce: stored = storeBounce(conn, envelope, raw, config, codec); break;
        case Destination::Unsubscribe: stored = storeUnsubscribe(conn, envelope, raw, config, codec); break;
        case Destination::Inbound: stored = storeInbound(conn, envelope, raw); break;
      }
      if (!stored) return makeError(stored.error());
      outcome = *stored;
      return {};
    } catch (const std::exception& e) {
      return makeError(std::string("internal error reading the message: ") + e.what());
    } catch (...) {
      return makeError("internal error reading the message");
    }
  });
  if (!status) return makeError(status.error());
  return outcome;
}

}  // namespace waybill::pipe
