// BounceReport: what the bounce decoder read out of one message handed to waybill-pipe — the kind
// of message and one RecipientResult per recipient it reports on. Field names follow RFC 3464 and
// sisimai (reason vocabulary, hard/soft), which bounce analysts already know.
#pragma once

#include <string>
#include <vector>

namespace waybill::dsn {

enum class ReportKind {
  DeliveryStatus,  // RFC 3464 multipart/report; report-type=delivery-status
  TextBounce,      // a bounce without DSN structure, recognised from its text
  Complaint,       // ARF, RFC 5965 feedback-report
  AutoReply,       // RFC 3834 auto-replies, vacation messages
  NotABounce,      // anything else (inbound mail, unsubscribe mailto, ...)
};

const char* reportKindName(ReportKind kind);

struct RecipientResult {
  std::string recipient;           // Final-Recipient (or the address the text names)
  std::string original_recipient;  // Original-Recipient when present
  std::string action;              // failed | delayed | delivered | relayed | expanded | feedback | vacation
  std::string status;              // RFC 3463 code, empty when the message gave none
  std::string status_field;        // the Status: field as written, when the diagnostic's code replaced it
  std::string reply_code;          // SMTP reply code, empty when none
  std::string diagnostic;          // Diagnostic-Code text (or the bounce text around the recipient)
  std::string diagnostic_type;     // smtp | x-unix | ...
  std::string remote_mta;
  std::string smtp_command;        // RCPT | DATA | MAIL | HELO when the text says which one failed
  std::string reason;              // sisimai vocabulary: userunknown, mailboxfull, ...
  bool hard_bounce = false;
  std::string feedback_type;       // ARF Feedback-Type, complaints only
};

struct BounceReport {
  ReportKind kind = ReportKind::NotABounce;
  std::vector<RecipientResult> results;
  std::string reporting_mta;
  std::string mta_family;  // who wrote it: postfix, exim, sendmail, qmail, exchange, gmail, ... (or empty)
  std::string queue_id;  // X-Postfix-Queue-ID of a Postfix DSN: which queue file's attempt it reports
  // From the returned message (attribution when the VERP token is missing or mangled).
  std::string original_message_id;
  std::string original_to;
  std::string original_from;
  std::string subject;
};

}  // namespace waybill::dsn
