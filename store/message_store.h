// MessageStore: writes what the milter accepted — the message, one recipients row per envelope
// recipient, one `accepted` event each and the tracked links — in a single statement, so it is all
// or nothing and costs one round trip.
#pragma once

#include <string>
#include <vector>

#include "mail/message_metadata.h"
#include "store/pg_connection.h"
#include "util/result.h"
#include "util/uuid.h"

namespace waybill {

struct AcceptedRecipient {
  Uuid id;
  std::string address;
};

struct AcceptedMessage {
  Uuid id;
  std::string queue_id;
  std::string message_id_header;
  std::string envelope_sender;
  std::string from_header;
  std::string subject;
  std::vector<std::string> tags;
  mail::Metadata metadata;
  std::string track_mode;  // all | opens | clicks | none
  bool via_smtp = true;
  std::string client_address;
  std::size_t size_bytes = 0;
  std::vector<AcceptedRecipient> recipients;
  // The links tracked in the message's body, in order: the same for every recipient (each copy
  // carries the same body with its own tokens), so stored once (message_links, migration 0023).
  std::vector<std::string> link_urls;
};

// True when written now, false when an earlier attempt had recorded this message id already.
Result<bool> recordAccepted(PgConnection& conn, const AcceptedMessage& message);

// Points recipients at a new queue file (a retried transaction is one), unless they are there.
Status moveRecipientsToQueue(PgConnection& conn, const std::string& queue_id, const std::vector<Uuid>& recipient_ids);

}  // namespace waybill
