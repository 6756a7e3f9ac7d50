// RecipientStore: the `recipients` rows waybill-pipe ties a bounce, complaint or unsubscription
// to, and the status a delivery result gives them. Which row a result belongs to, and whether it
// may change it, is decided by the caller (pipe-transport/bounce_records.h).
#pragma once

#include <optional>
#include <string>

#include "store/pg_connection.h"
#include "util/result.h"

namespace waybill::store {

struct RecipientRecord {
  std::string recipient_id;
  std::string message_id;  // messages.id
  std::string address;     // as the milter recorded it
  std::string sender;      // the message's envelope sender
};

Result<std::optional<RecipientRecord>> recipientById(PgConnection& conn, const std::string& recipient_id);

struct MessageMatch {
  bool message_is_ours = false;          // a message with that Message-ID exists
  std::optional<RecipientRecord> row;    // ... and the address is one of its recipients
};
// message_id_header without angle brackets (either spelling matches); address case-insensitive.
Result<MessageMatch> recipientByMessageIdAndAddress(PgConnection& conn, const std::string& message_id_header,
                                                    const std::string& address);

// Sets status and detail when the current status is one of `from` (a PostgreSQL text[] literal).
Status updateRecipientStatus(PgConnection& conn, const std::string& recipient_id, const std::string& status,
                             const std::string& detail, const std::string& from);

}  // namespace waybill::store
