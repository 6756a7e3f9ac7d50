// DsnParser: reads the fields of an RFC 3464 message/delivery-status body — the per-message block
// (Reporting-MTA, ...) and one RecipientResult per per-recipient block — tolerating the usual
// damage: missing blank lines between blocks, folded values, X- prefixes, stray text.
//
//   DeliveryStatusFields fields = parseDeliveryStatus(part.body);
//   for (const RecipientResult& r : fields.recipients) ...  // reason/hard are left to BounceClassifier
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dsn/bounce_report.h"

namespace waybill::dsn {

inline constexpr std::size_t kMaxRecipientsPerReport = 1000;

struct DeliveryStatusFields {
  std::string reporting_mta;
  std::string queue_id;  // X-Postfix-Queue-ID: the queue file of the returned message (Postfix DSNs)
  std::vector<RecipientResult> recipients;
};

DeliveryStatusFields parseDeliveryStatus(std::string_view body);

// "rfc822; <User@Example.com>" -> "User@Example.com"; also used for ARF and text bounces.
std::string addressFromTypedField(std::string_view value);
// First RFC 3463 status code in the text ("5.1.1"), empty when none.
std::string findStatusCode(std::string_view text);
// The status code a diagnostic text gives: the one right after a reply code ("550 5.7.1",
// "550-'5.7.1") when there is one, else the most specific (a detail beats x.y.0 and x.0.0), the
// first of equals; empty when none.
std::string statusFromDiagnostic(std::string_view text);
// The SMTP command the failure answered: RCPT, DATA, MAIL, HELO or empty when the text does not say.
std::string findSmtpCommand(std::string_view text);
// In a Sendmail transcript naming several recipients: "RCPT" when the reply right after
// ">>> RCPT To:<address>" is a failure, else empty.
std::string commandForRecipient(std::string_view text, std::string_view address);
// First SMTP reply code (2xx/4xx/5xx) that starts the text or a "said:"-style phrase, empty when none.
std::string findReplyCode(std::string_view text);
// The same, passing over positive replies (2xx): in a failure's text a transcript's "220 ... ready"
// or "250 Sender ok" is a step that succeeded, not the reply that failed the message.
std::string findFailureReplyCode(std::string_view text);

}  // namespace waybill::dsn
