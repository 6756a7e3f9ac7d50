// BounceReader implementation: ARF first (a complaint may also look like a bounce), then RFC 3464,
// then auto-replies, then text bounces; every recipient result goes through the classifier.
#include "dsn/bounce_reader.h"

#include <algorithm>
#include <cctype>

#include "dsn/arf_parser.h"
#include "dsn/auto_reply.h"
#include "dsn/bounce_phrases.h"
#include "dsn/bounce_classifier.h"
#include "dsn/dsn_parser.h"
#include "dsn/mime_lite.h"
#include "dsn/reporting_mta.h"
#include "dsn/ses_notification.h"
#include "dsn/text_bounce.h"

namespace waybill::dsn {
namespace {

// A failure's reply code is a negative one (4yz/5yz, RFC 5321 section 4.2.1); a positive reply in
// its text is a step that succeeded (a transcript's "220 ... ready", "250 Sender ok").
std::string replyCodeIn(std::string_view text, const RecipientResult& r) {
  const bool failed = r.status.rfind("2.", 0) != 0 && r.action != "delivered" && r.action != "relayed" &&
                      r.action != "expanded";
  return failed ? findFailureReplyCode(text) : findReplyCode(text);
}

const MimeEntity* returnedMessage(const MimeEntity& root) {
  if (const MimeEntity* m = findPart(root, "message/rfc822"); m != nullptr && !m->parts.empty()) return &m->parts[0];
  if (const MimeEntity* m = findPart(root, "message/global"); m != nullptr && !m->parts.empty()) return &m->parts[0];
  return findPart(root, "text/rfc822-headers");
}

// Headers of the returned message, from an attached part or quoted inline after the notice.
void readOriginalHeaders(const MimeEntity& root, std::string_view normalized, BounceReport& report) {
  std::vector<MimeHeader> headers;
  if (const MimeEntity* original = returnedMessage(root)) {
    headers = original->content_type == "text/rfc822-headers" ? parseHeaderBlock(original->body, nullptr)
                                                                : original->headers;
  } else {
    std::string lower = toLower(normalized.substr(0, kMaxBounceBytes));
    std::size_t body_start = lower.find("\n\n");
    std::size_t at = lower.find("\nmessage-id:", body_start == std::string::npos ? 0 : body_start);
    if (at != std::string::npos) {
      std::size_t block_start = lower.rfind("\n\n", at);
      block_start = block_start == std::string::npos ? at + 1 : block_start + 2;
      headers = parseHeaderBlock(normalized.substr(block_start), nullptr);
    }
  }
  for (const MimeHeader& h : headers) {
    std::string name = toLower(h.name);
    if (name == "message-id" && report.original_message_id.empty()) report.original_message_id = h.value;
    if (name == "to" && report.original_to.empty()) report.original_to = h.value;
    if (name == "from" && report.original_from.empty()) report.original_from = h.value;
  }
}

// Fills what the report's fields left out from the diagnostic text, then classifies. The code in
// the remote server's own reply is more precise than the reporting MTA's Status (often x.0.0).
void finishResult(RecipientResult& r, std::string_view context, std::string_view mta_family,
                  std::string_view reporting_host) {
  std::string from_text = statusFromDiagnostic(r.diagnostic);
  if (!from_text.empty() && from_text != r.status) {
    r.status_field = r.status;
    r.status = from_text;
  }
  if (r.reply_code.empty()) r.reply_code = replyCodeIn(r.diagnostic, r);
  if (!r.status.empty() && !r.reply_code.empty() && r.status[0] != r.reply_code[0]) r.reply_code.clear();
  if (r.smtp_command.empty()) r.smtp_command = commandForRecipient(context, r.recipient);
  if (r.smtp_command.empty()) r.smtp_command = findSmtpCommand(r.diagnostic);
  if (r.smtp_command.empty()) r.smtp_command = findSmtpCommand(context);
  // A system whose fixed sentences stand apart from the recipient's line decides from the whole
  // notice, when its verdict is not one sisimai re-checks.
  if (r.reason.empty() && readsWholeNotice(mta_family)) {
    if (std::string_view v = mtaVerdict(mta_family, toLower(context)); !isOnRetryList(v)) r.reason = std::string(v);
  }
  classifyRecipient(r, mta_family, reporting_host);
}

bool hasInlineDeliveryStatus(std::string_view text) {
  std::string lower = toLower(text);
  return lower.find("\nfinal-recipient:") != std::string::npos ||
         (lower.find("\naction:") != std::string::npos && lower.find("\nstatus:") != std::string::npos);
}

void readDeliveryStatus(std::string_view text, std::string_view fields_text, BounceReport& report) {
  DeliveryStatusFields fields = parseDeliveryStatus(fields_text);
  report.kind = ReportKind::DeliveryStatus;
  report.reporting_mta = fields.reporting_mta;
  report.queue_id = fields.queue_id;
  for (RecipientResult& r : fields.recipients) {
    if (r.recipient.empty()) r.recipient = addressFromTypedField(report.original_to);
    // Sendmail writes the remote reply only in its transcript when Diagnostic-Code is missing, and
    // a mailer's exit code (x-unix; 71) beside it; the transcript then gives the reply code too.
    std::string transcript = transcriptAbout(text, r.recipient);
    if (transcript.empty() && fields.recipients.size() == 1) transcript = transcriptReplies(text);
    if (r.diagnostic.empty()) r.diagnostic = transcript.empty() ? paragraphAbout(text, r.recipient) : transcript;
    if (replyCodeIn(r.diagnostic, r).empty() && r.reply_code.empty()) r.reply_code = replyCodeIn(transcript, r);
    if (r.action.empty()) r.action = "failed";
    // Postfix's bounce(5) template ("Subject: Undelivered Mail Returned to Sender") writes every
    // diagnostic as "X-Postfix;"; sisimai's Postfix decoder, which reads notices with that subject,
    // takes it as an SMTP diagnostic (so "temporary failure" stays onhold, not mailererror). The
    // field itself is reported as written.
    const bool read_as_smtp = r.diagnostic_type == "x-postfix" && report.subject == "Undelivered Mail Returned to Sender";
    if (read_as_smtp) r.diagnostic_type = "smtp";
    finishResult(r, text, report.mta_family, report.reporting_mta);
    if (read_as_smtp) r.diagnostic_type = "x-postfix";
    report.results.push_back(std::move(r));
  }
}

// Exim and Google name the failed recipients in a header; the text then gives the diagnostics.
std::vector<RecipientResult> recipientsFromHeader(const MimeEntity& root, const std::vector<RecipientResult>& hits,
                                                  std::string_view text) {
  std::vector<RecipientResult> results;
  for (const std::string& address : splitAddressList(root.header("X-Failed-Recipients"))) {
    RecipientResult r;
    r.recipient = address;
    for (const RecipientResult& hit : hits) {
      if (toLower(hit.recipient) == toLower(address)) r.diagnostic = hit.diagnostic;
    }
    if (r.diagnostic.empty()) r.diagnostic = std::string(trimBlanks(text.substr(0, 4096)));
    results.push_back(std::move(r));
  }
  return results;
}

// The host that wrote the report: its Reporting-MTA, else the sending host of the bounce's top
// Received header ("from mta5.mail.example.net (...) by ..."), as sisimai finds its local host.
std::string writerHost(const MimeEntity& root, const BounceReport& report) {
  if (!report.reporting_mta.empty()) return report.reporting_mta;
  for (const MimeHeader& h : root.headers) {
    if (toLower(h.name) != "received") continue;
    std::string_view value = trimBlanks(h.value);
    if (value.size() < 5 || toLower(value.substr(0, 5)) != "from ") return {};
    std::string host = toLower(value.substr(5, value.find_first_of(" \t;", 5) - 5));
    bool named = host.find('.') != std::string::npos && host.find_first_of("[]:") == std::string::npos &&
                 !std::all_of(host.begin(), host.end(), [](char c) { return c == '.' || std::isdigit(static_cast<unsigned char>(c)); });
    return named ? host : std::string();
  }
  return {};
}

void readTextBounce(const MimeEntity& root, std::string_view text, BounceReport& report) {
  report.kind = ReportKind::TextBounce;
  std::vector<RecipientResult> results = findTextRecipients(text);
  if (std::vector<RecipientResult> named = recipientsFromHeader(root, results, text); !named.empty()) {
    results = std::move(named);
  }
  bool no_recipient_named = results.empty();
  if (no_recipient_named) {
    RecipientResult r;
    r.recipient = addressFromTypedField(report.original_to);
    r.diagnostic = std::string(trimBlanks(text.substr(0, 4096)));
    results.push_back(std::move(r));
  }
  const std::string writer_host = writerHost(root, report);
  for (RecipientResult& r : results) {
    r.action = "failed";
    // iMail names each recipient in a line of its own ("undeliverable to a@b.example"), its reason
    // on the lines after; when none follows, that line is all it says about the recipient, and
    // go-sisimai's iMail decoder reads it as the diagnostic (onhold, not undefined).
    if (r.diagnostic.empty() && report.mta_family == "imailserver") r.diagnostic = paragraphAbout(text, r.recipient);
    // Google Groups refuses posts from non-members; its notice is translated, so go by the address.
    if (toLower(r.recipient).ends_with("@googlegroups.com")) r.reason = "rejected";
    // au by KDDI (EZweb, au one net) marks a notice about mail its spam filter turned away
    // "X-SPASIGN: NG": the recipient's side filtered it, whatever the notice says (go-sisimai's
    // EZweb and KDDI decoders).
    if (toLower(trimBlanks(root.header("X-SPASIGN"))) == "ng") r.reason = "filtered";
    finishResult(r, text, report.mta_family, writer_host);
    // A known MTA's notice that names no recipient ("Delivery report unavailable") holds no
    // diagnostic for one: its text may still decide a reason, but when nothing decides the result
    // is `undefined` (no diagnostic), not `onhold`, as in sisimai.
    if (no_recipient_named && !report.mta_family.empty() && r.reason == "onhold") r.reason = "undefined";
    if (r.status.rfind("4.", 0) == 0 || (r.status.empty() && r.reply_code.rfind('4', 0) == 0)) r.action = "delayed";
    report.results.push_back(std::move(r));
  }
}

void readAutoReply(const MimeEntity& root, BounceReport& report) {
  report.kind = ReportKind::AutoReply;
  RecipientResult r;
  r.recipient = addressFromTypedField(root.header("From"));
  r.action = "vacation";
  r.reason = "vacation";
  r.diagnostic = decodeEncodedWords(root.header("Subject"));
  report.results.push_back(std::move(r));
}

void collectParts(const MimeEntity& entity, std::string_view content_type, std::vector<const MimeEntity*>& out) {
  if (entity.content_type == content_type) out.push_back(&entity);
  for (const MimeEntity& part : entity.parts) collectParts(part, content_type, out);
}

// Every delivery-status part, in order: RFC 3462 wants one, but some writers (InterMail) label
// their human-readable part message/delivery-status too and put the fields in a second one.
std::vector<const MimeEntity*> deliveryStatusParts(const MimeEntity& root) {
  std::vector<const MimeEntity*> parts;
  collectParts(root, "message/delivery-status", parts);
  collectParts(root, "message/global-delivery-status", parts);
  return parts;
}

}  // namespace

std::vector<std::string> splitAddressList(std::string_view value) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < value.size() && out.size() < kMaxRecipientsPerReport) {
    std::size_t comma = value.find(',', pos);
    if (comma == std::string_view::npos) comma = value.size();
    std::string address = addressFromTypedField(value.substr(pos, comma - pos));
    if (address.find('@') != std::string::npos) out.push_back(address);
    pos = comma + 1;
  }
  return out;
}

const char* reportKindName(ReportKind kind) {
  switch (kind) {
    case ReportKind::DeliveryStatus: return "dsn";
    case ReportKind::TextBounce: return "text_bounce";
    case ReportKind::Complaint: return "complaint";
    case ReportKind::AutoReply: return "auto_reply";
    case ReportKind::NotABounce: return "not_a_bounce";
  }
  return "not_a_bounce";
}

BounceReport readBounce(std::string_view raw, const ReadOptions& options) {
  std::string normalized = normalizeLineEndings(raw.substr(0, kMaxBounceBytes));
  MimeEntity root = parseMime(normalized);
  BounceReport report;
  report.subject = decodeEncodedWords(root.header("Subject"));
  readOriginalHeaders(root, normalized, report);
  // The notice text, read once: the reporting MTA, inline reports and text bounces all use it.
  const std::string text = notificationText(root);
  report.mta_family = std::string(detectReportingMta(root, text));

  if (const MimeEntity* feedback = findFeedbackReport(root)) {
    report.kind = ReportKind::Complaint;
    report.results = parseFeedbackReport(feedback->body, returnedMessage(root));
    return report;
  }
  if (std::vector<RecipientResult> complaint = parseHotmailComplaint(root, returnedMessage(root)); !complaint.empty()) {
    report.kind = ReportKind::Complaint;
    report.results = std::move(complaint);
    return report;
  }
  std::string notice = text;
  for (const MimeEntity* status : deliveryStatusParts(root)) {
    readDeliveryStatus(notice, status->body, report);
    if (!report.results.empty()) return report;
    // A part so labelled that holds no recipient fields is the writer's explanation (InterMail's
    // "This Message was undeliverable due to the following reason: ..."): it is notice text.
    notice += "\n\n" + status->body;
  }
  if (hasInlineDeliveryStatus(text)) {
    readDeliveryStatus(text, text, report);
    if (!report.results.empty()) return report;
  }
  if (auto ses = readSesNotification(text); ses && !ses->results.empty()) {
    ses->subject = report.subject;
    ses->mta_family = "amazonses";
    return *ses;
  }
  if (isAutoReply(root)) {
    readAutoReply(root, report);
    return report;
  }
  if (options.arrived_at_bounce_address || looksLikeBounceNotice(root)) readTextBounce(root, text, report);
  return report;
}

}  // namespace waybill::dsn
