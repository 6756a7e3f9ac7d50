// Submission: one message an application asked Waybill to send, in a form that does not depend on
// the API dialect it came in (native JSON, Postmark's /email, SendGrid's /v3/mail/send). The
// parsers in core/api fill it; core/mail/message_builder turns it into RFC 5322 bytes.
//
// Everything a parser could not accept is a FieldError that names the field the way the caller
// wrote it ("personalizations[0].to[1].email", "To", "attachments[2].content"), so the daemon can
// answer in each dialect's error format without knowing how the value was read.
//
//   FieldResult<Submission> parsed = parseNativeMessage(body);
//   if (!parsed) respond(422, parsed.error().field, parsed.error().message);
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "util/result.h"

namespace waybill::api {

struct Mailbox {
  std::string address;       // checked addr-spec, domain lower-cased (may be a U-label)
  std::string display_name;  // UTF-8, may be empty
};

struct Attachment {
  std::string filename;      // UTF-8
  std::string content;       // the decoded bytes
  std::string content_type;  // "type/subtype"; application/octet-stream when the caller gave none
  std::string content_id;    // without "cid:" and angle brackets; set for inline images
};

struct CustomHeader {
  std::string name;
  std::string value;  // UTF-8, unfolded
};

struct Submission {
  Mailbox from;
  std::vector<Mailbox> to;
  std::vector<Mailbox> cc;
  std::vector<Mailbox> bcc;
  std::vector<Mailbox> reply_to;
  std::string subject;
  std::optional<std::string> text;
  std::optional<std::string> html;
  std::vector<Attachment> attachments;
  std::vector<CustomHeader> headers;
  std::vector<std::string> tags;
  std::map<std::string, std::string> metadata;
  std::optional<std::string> template_name;
  std::optional<std::string> template_data;  // a JSON object, serialized
  std::optional<std::chrono::system_clock::time_point> send_at;
  std::optional<bool> track_opens;
  std::optional<bool> track_clicks;
  std::string message_stream;  // Postmark's MessageStream, kept for the daemon; empty otherwise

  std::size_t recipientCount() const { return to.size() + cc.size() + bcc.size(); }
};

enum class ErrorKind {
  MalformedJson,  // not JSON, or nested deeper than allowed
  TooLarge,       // the body is over the configured size
  InvalidField,   // a field is missing, of the wrong type or value
};

struct FieldError {
  std::string field;    // empty when the error is about the whole body
  std::string message;  // what is wrong, for the caller
  ErrorKind kind = ErrorKind::InvalidField;
};

inline FieldError fieldError(std::string field, std::string message, ErrorKind kind = ErrorKind::InvalidField) {
  return FieldError{std::move(field), std::move(message), kind};
}

using Check = std::optional<FieldError>;  // empty when the field is fine

// A value or the FieldError that stopped it (util/result.h with a field-naming error).
template <typename T>
using FieldResult = Result<T, FieldError>;

// Caps on what one request may ask for; the daemon fills them from its [api] section.
struct RequestLimits {
  std::size_t max_body_bytes = 10u << 20;  // the raw JSON body (Postmark allows 10 MB)
  std::size_t max_json_depth = 32;         // nested arrays/objects
  std::size_t max_recipients = 50;         // To + Cc + Bcc of one message, as Postmark
  std::size_t max_batch = 500;             // messages in one batch request
  std::size_t max_attachments = 100;
  std::size_t max_headers = 100;           // custom headers on one message
  std::size_t max_tags = 10;
  std::size_t max_metadata = 80;           // metadata keys, as Postmark
};

}  // namespace waybill::api
