// MessageBuilder: the RFC 5322 / MIME message for one api::Submission, ready for SMTP DATA.
//
// Shape: text, html or both (multipart/alternative); inline images (an attachment with a content
// id, when there is html) beside the html in multipart/related; other attachments around all of it
// in multipart/mixed. Text parts are UTF-8, 7bit when every line is short ASCII, quoted-printable
// otherwise; attachments base64 at 76 columns. Headers are folded within 78 columns where there is
// whitespace (never past 998); non-ASCII display names, subjects and custom values become RFC 2047
// encoded words (B, UTF-8, each at most 75 characters, never splitting a character); IDN domains
// become A-labels. Lines end in CRLF. Bcc never appears in the headers: the envelope recipients
// (to + cc + bcc, each once) come back apart. Tags, the schedule, tracking and the template become
// the milter's control headers (X-Waybill-Tags, -Metadata, -Send-At, -Track, -Template, -Template-Data).
// Metadata has no control header yet: it stays in the Submission for the daemon to store.
//
//   BuildContext context{"mail.example.com", [&] { return uuid(); }, [] { return clock::now(); }};
//   FieldResult<BuiltMessage> built = buildMessage(submission, context);
//   if (built) smtp.send(built->envelope_from, built->envelope_recipients, built->message);
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/submission.h"

namespace waybill::mail {

struct BuildContext {
  std::string message_id_domain;                                 // right side of the Message-ID
  std::function<std::string()> unique_id;                        // Message-ID left side, boundaries
  std::function<std::chrono::system_clock::time_point()> clock;  // the Date header
  // Used for the one tracking flag a caller left out when it gave the other.
  bool default_track_opens = true;
  bool default_track_clicks = true;
};

struct BuiltMessage {
  std::string message;                           // header block, empty line, body; CRLF line ends
  std::string message_id;                        // "<id@domain>", as in the header
  std::string envelope_from;                     // the From address, domain as A-labels
  std::vector<std::string> envelope_recipients;  // to + cc + bcc, A-labels, duplicates dropped
};

// Errors name the field in the native API's terms ("headers.From", "attachments[1].filename").
api::FieldResult<BuiltMessage> buildMessage(const api::Submission& submission, const BuildContext& context);

// Why a caller may not set this header (one we write ourselves, a control header, a malformed
// name, CR/LF in the value), or nothing when it is fine. The parsers call these too, so their
// errors can name the field in their own dialect.
std::optional<std::string> customHeaderProblem(const api::CustomHeader& header);
std::optional<std::string> tagProblem(std::string_view tag);
std::optional<std::string> contentTypeProblem(std::string_view content_type);  // attachments
std::optional<std::string> contentIdProblem(std::string_view content_id);
std::optional<std::string> filenameProblem(std::string_view filename);

}  // namespace waybill::mail
