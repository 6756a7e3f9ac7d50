// Reading the JSON of the three API dialects into a Submission: a body parse with hard caps
// (size, nesting), typed field readers that report the field path, and the address and base64
// rules every dialect shares. Nothing here throws: every failure is a FieldError.
//
//   FieldResult<Json> body = parseJsonBody(raw, limits);
//   if (!body) return body.error();
//   if (Check bad = readString(*body, "subject", "", submission.subject)) return *bad;
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/submission.h"

namespace waybill::api {

using Json = nlohmann::json;

// Size first, then nesting (scanned before the parser recurses), then the JSON itself.
FieldResult<Json> parseJsonBody(std::string_view body, const RequestLimits& limits);

// "personalizations[0]" + "to" -> "personalizations[0].to"; "" + "to" -> "to".
std::string fieldPath(std::string_view parent, std::string_view key);
// "to" + 3 -> "to[3]".
std::string indexPath(std::string_view parent, std::size_t index);

// "must be a string, not a number".
FieldError wrongTypeError(std::string path, const char* wanted, const Json& value);

// The member `key` of `object` (null counts as absent, as the client libraries send it).
const Json* member(const Json& object, std::string_view key);

// Each reader leaves `out` untouched when the member is absent or null.
// The array member `key` of `object` (absent or null: nothing), each item handed to
// read(item, path) in order; the first error stops it. `wanted` names the array in a type error.
template <typename ItemReader>
Check readEachItem(const Json& object, std::string_view key, const char* wanted, ItemReader&& read) {
  const Json* value = member(object, key);
  if (!value) return std::nullopt;
  const std::string path(key);
  if (!value->is_array()) return wrongTypeError(path, wanted, *value);
  for (std::size_t i = 0; i < value->size(); ++i)
    if (Check bad = read((*value)[i], indexPath(path, i))) return bad;
  return std::nullopt;
}
Check readString(const Json& object, std::string_view key, std::string_view parent, std::string& out);
Check readString(const Json& object, std::string_view key, std::string_view parent, std::optional<std::string>& out);
Check readBool(const Json& object, std::string_view key, std::string_view parent, std::optional<bool>& out);
// A JSON object whose values are all strings (metadata, custom_args).
Check readStringMap(const Json& value, std::string_view path, std::size_t max_entries,
                    std::map<std::string, std::string>& out);
// A JSON object kept as its serialized text (template data).
Check readObjectText(const Json& object, std::string_view key, std::string_view parent, std::optional<std::string>& out);

// An address with an optional display name; the address is checked (RFC 5321, ASCII local part).
FieldResult<Mailbox> checkedMailbox(std::string_view address, std::string_view display_name, const std::string& path);
// `John Doe <john@example.com>`, `"Doe, John" <john@example.com>` or `john@example.com`.
FieldResult<Mailbox> parseMailboxText(std::string_view text, const std::string& path);
// {"email": "a@b", "name": "Display Name"} (name optional), as the native API and SendGrid write it.
FieldResult<Mailbox> readMailboxObject(const Json& value, const std::string& path);
// The mailbox of the required member `key` (the sender), read by `read` (readMailboxObject or a
// format's own reader of the same signature).
FieldResult<Mailbox> readRequiredMailbox(const Json& object, const std::string& key,
                                         FieldResult<Mailbox> (*read)(const Json& value, const std::string& path));
// Comma-separated mailboxes (commas inside quotes or angle brackets do not split).
FieldResult<std::vector<Mailbox>> parseAddressList(std::string_view text, const std::string& path);

// RFC 4648 base64 (line breaks and spaces ignored, padding optional); anything else is refused.
FieldResult<std::string> decodeBase64Field(std::string_view text, const std::string& path);
// "cid:logo@x", "<logo@x>" -> "logo@x".
std::string bareContentId(std::string_view text);

// The JSON keys of one attachment object in a dialect.
struct AttachmentKeys {
  std::string_view filename, content, content_type, content_id;
};
// An attachment object: file name and base64 content required, the media type's parameters
// dropped (application/octet-stream when absent), the content id without "cid:" or brackets.
FieldResult<Attachment> readAttachment(const Json& item, const std::string& path, const AttachmentKeys& keys);
// The array member `key` of attachment objects (absent or null: none), appended to `out`.
Check readAttachmentArray(const Json& message, std::string_view key, const AttachmentKeys& keys, std::vector<Attachment>& out);
// A JSON object of header name -> string value (native, SendGrid), each header checked.
Check readHeaderObject(const Json& value, const std::string& path, std::vector<CustomHeader>& out);
// An array of strings (tags, categories).
Check readStringArray(const Json& value, const std::string& path, std::vector<std::string>& out);

// The checks every dialect applies once a message is read: recipient count, at least one
// recipient, a body or a template, tags and headers within the caps. `names` gives the dialect's
// field names for the error.
struct SubmissionFieldNames {
  std::string recipients;  // "to", "To", "personalizations[0].to"
  std::string body;        // "text", "TextBody", "content"
  std::string tags;
  std::string headers;
  std::string attachments;
  std::string metadata;    // "metadata", "Metadata", "custom_args"
};
Check checkSubmission(const Submission& submission, const RequestLimits& limits, const SubmissionFieldNames& names);

}  // namespace waybill::api
