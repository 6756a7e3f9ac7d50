// MilterMessage: everything the milter knows about one message in one SMTP transaction, and the
// edits its stages ask for. Pure data: the libmilter adapter fills it and applies the edits, so
// every stage can be unit tested without an MTA.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "mail/message_metadata.h"
#include "mime/body_spool.h"
#include "util/uuid.h"

namespace waybill::milter {

struct HeaderField {
  std::string name;
  std::string value;  // as libmilter hands it: unfolded line breaks kept, no leading space
};

// One change to the header block. For Change, `index` is the 1-based occurrence among headers of
// that name, as smfi_chgheader wants it, and a change with no value deletes the field; for Insert
// it is the 0-based position in the whole header block, as smfi_insheader wants it (0: on top).
struct HeaderEdit {
  enum class Kind { Add, Change, Insert };
  Kind kind = Kind::Add;
  std::string name;
  int index = 1;
  std::optional<std::string> value;
};

struct Envelope {
  std::string sender;  // MAIL FROM without angle brackets ("" for the null sender)
  std::vector<std::string> recipients;
  std::string client_address;
  bool via_smtp = true;  // false for /usr/sbin/sendmail (non_smtpd_milters)
  std::string queue_id;
  std::string authenticated_as;  // {auth_authen}: the SASL login name, "" when not authenticated
  std::string daemon_name;       // {daemon_name} (milter_macro_daemon_name), for the log
};

struct MilterMessage {
  Envelope envelope;
  std::vector<HeaderField> headers;
  std::size_t body_bytes = 0;

  // Decided by the stages.
  Uuid id = Uuid::random();
  std::vector<Uuid> recipient_ids;
  TrackMode track_mode = TrackMode::All;
  std::vector<std::string> tags;
  mail::Metadata metadata;  // X-Waybill-Metadata
  std::string message_id_header;
  std::vector<HeaderEdit> header_edits;
  std::optional<std::string> quarantine_reason;  // set: Postfix puts the message on hold
  std::optional<std::string> new_sender;  // envelope sender to set (VERP), without angle brackets

  // The body path (milter/stages/track_links.h): the body as received, the adapter's to fill; the
  // body to put in its place, when a stage rewrote it; recipients handed to re-injected copies.
  std::shared_ptr<mime::BodySpool> body;
  std::shared_ptr<mime::BodySpool> replacement_body;
  std::vector<std::string> recipients_to_delete;
  bool is_copy = false;           // a per-recipient copy re-injected by an earlier transaction
  std::vector<std::string> tracked_urls;  // links tracked in this body, recorded with the message
  // Suppressed recipients, taken out of envelope.recipients by stages/suppress_recipients.h; the
  // adapter removes them from the MTA's envelope.
  std::vector<std::string> suppressed_recipients;

  // The value of the first header with this name, if any (case-insensitive).
  const std::string* header(std::string_view name) const;
  // Deletes every occurrence of a header, last first, so earlier indexes stay valid.
  void removeAll(std::string_view name);
  // The recipient this transaction will deliver to once the other recipients went to their
  // own copies (recipients_to_delete); nothing while it still has several.
  std::optional<Uuid> soleRecipientId() const;
};

// Postfix gives sendmail and SMTP submissions the same milter macros; for the sendmail command
// it presents a client "localhost [127.0.0.1]" that says HELO localhost. (An SMTP client that
// connects over loopback and says exactly that is counted as sendmail: the label is informational.)
bool submittedViaSendmail(std::string_view helo, std::string_view client_macro);

// What a stage tells the pipeline: go on, or end the transaction with an SMTP answer.
struct StageStatus {
  // Discard: accept and drop (a sendmail submission whose every recipient is suppressed: there
  // is no SMTP client to refuse it to).
  enum class Outcome { Continue, TempFail, Reject, Discard };
  Outcome outcome = Outcome::Continue;
  std::string reply_code;     // "451" / "550"
  std::string enhanced_code;  // "4.3.0" / "5.6.0"
  std::string text;

  static StageStatus proceed() { return {}; }
  static StageStatus tempFail(std::string text, std::string enhanced = "4.3.0") {
    return {Outcome::TempFail, "451", std::move(enhanced), std::move(text)};
  }
  static StageStatus reject(std::string text, std::string enhanced = "5.6.0") {
    return {Outcome::Reject, "550", std::move(enhanced), std::move(text)};
  }
  static StageStatus discard(std::string text) { return {Outcome::Discard, "", "", std::move(text)}; }
  bool proceeding() const { return outcome == Outcome::Continue; }
};

// A step of the milter's pipeline, run in order at end of message.
class Stage {
 public:
  virtual ~Stage() = default;
  virtual const char* name() const = 0;
  virtual StageStatus onEndOfMessage(MilterMessage& message) = 0;
};

}  // namespace waybill::milter
