// MessageStore: writes what the milter accepted — the message, one recipients row per envelope
// recipient and one `accepted` event each — in a single statement, so it is all or nothing.
#pragma once

#include <string>
#include <vector>

#include "db/pg_connection.h"
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
  std::string track_mode;  // all | opens | clicks | none
  bool via_smtp = true;
  std::string client_address;
  std::size_t size_bytes = 0;
  std::vector<AcceptedRecipient> recipients;
};

Status recordAccepted(PgConnection& conn, const AcceptedMessage& message);

}  // namespace waybill
