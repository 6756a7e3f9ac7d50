// BounceRecords: what one bounce, complaint or mailto unsubscribe may change, decided without a
// database — attribution before consequence. A result changes a recipient, an event or a
// suppression only when it is tied to a row of `recipients`: by the VERP token naming that row
// (and the result naming its address, or nobody), or by a Message-ID of ours plus an address of
// that message. Everything else is kept in pipe_messages with the reason it was not attributed
// (view unattributed_results) and changes nothing. The store (bounce_store.cpp) only executes
// what this returns; the fuzzer and the unit tests drive it with a table instead of SQL.
//
//   SqlDirectory directory(conn);
//   auto token = tokenEvidence(codec, envelope.recipient, bounce_domain, TokenKind::Bounce, directory);
//   auto records = buildBounceRecords(dsn::readBounce(raw), *token, directory);
//   for (const EventRecord& e : records->events) ...   // INSERT events, UPDATE recipients, suppress
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dsn/bounce_report.h"
#include "policy/suppression.h"
#include "token/tracking_token.h"
#include "util/result.h"

namespace waybill::pipe {

// The recipients row a result is tied to, with what its consequences need.
struct RecipientRow {
  std::string recipient_id;
  std::string message_id;  // messages.id
  std::string address;     // as the milter recorded it: what gets suppressed, never the claimed one
  std::string sender;      // the original message's envelope sender (suppression scope)
};

struct MessageLookup {
  bool message_is_ours = false;      // a message with that Message-ID exists
  std::optional<RecipientRow> row;   // ... and the address is one of its recipients
};

// The two questions attribution asks the database.
class RecipientDirectory {
 public:
  virtual ~RecipientDirectory() = default;
  virtual Result<std::optional<RecipientRow>> byId(const std::string& recipient_id) = 0;
  // message_id without angle brackets; address compared case-insensitively.
  virtual Result<MessageLookup> byMessageIdAndAddress(const std::string& message_id, const std::string& address) = 0;
};

enum class TokenState { Absent, Invalid, Valid };
struct TokenEvidence {
  TokenState state = TokenState::Absent;
  RecipientRow row;  // set when Valid
};

// The envelope recipient's token: Valid only when it verifies, has the expected kind and names
// an existing row. codec may be null (no key file): then every token is Absent.
Result<TokenEvidence> tokenEvidence(const TokenCodec* codec, std::string_view envelope_recipient,
                                    std::string_view bounce_domain, TokenKind expected, RecipientDirectory& directory);

// Why a result changed nothing (the `unattributed` field of its classification entry).
enum class Unattributed {
  NoAddress,                   // names nobody and carries no valid token
  AddressTooLong,              // every address it names breaks the RFC 5321 limits
  TokenNamesAnotherRecipient,  // valid token, but for someone the result does not name
  NoTokenNoMessageId,          // nothing to tie it to
  MessageIdNotOurs,
  NotARecipientOfThatMessage,
};
const char* unattributedName(Unattributed why);

struct Attribution {
  std::optional<RecipientRow> row;  // set when attributed
  Unattributed why = Unattributed::NoAddress;
};

Result<Attribution> attributeResult(const dsn::RecipientResult& result, const dsn::BounceReport& report,
                                    const TokenEvidence& token, RecipientDirectory& directory);

// One attributed result, ready to be written.
struct EventRecord {
  std::string type;           // bounced | deferred | delivered | complained
  RecipientRow row;
  std::string details_json;   // events.details and suppressions.details
  std::string status_detail;  // recipients.status_detail
  std::optional<policy::SuppressionReason> suppression;  // hard bounce or complaint
  bool soft_bounce = false;   // counts toward pipe.soft_bounce_limit
};

struct BounceRecords {
  std::string kind;                 // pipe_messages.kind
  std::string token_recipient_id;   // pipe_messages.recipient_id (empty: none)
  std::string classification_json;  // pipe_messages.classification
  std::vector<EventRecord> events;
  int unattributed = 0;             // results that would have had consequences but changed nothing
};

Result<BounceRecords> buildBounceRecords(const dsn::BounceReport& report, const TokenEvidence& token,
                                         RecipientDirectory& directory);

// A mail to unsub+TOKEN@: an unsubscribe only for a valid Unsubscribe token; the body is never read.
struct UnsubscribeRecord {
  std::string kind;                 // unsubscribe | unclassified
  std::string classification_json;
  std::string details_json;
  bool attributed = false;
};
UnsubscribeRecord buildUnsubscribeRecord(const TokenEvidence& token);

}  // namespace waybill::pipe
