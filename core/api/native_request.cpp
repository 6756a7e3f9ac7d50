#include "api/native_request.h"

#include <algorithm>
#include <array>
#include <charconv>

#include <fmt/format.h>

#include "policy/send_at.h"

namespace waybill::api {
namespace {

constexpr std::array<std::string_view, 17> kNativeFields = {
    "from", "to", "cc", "bcc", "reply_to", "subject", "text", "html", "template", "template_data",
    "attachments", "headers", "tags", "metadata", "send_at", "track_opens", "track_clicks"};

FieldResult<Mailbox> readAddress(const Json& value, const std::string& path) {
  if (value.is_string()) return parseMailboxText(value.get_ref<const std::string&>(), path);
  if (!value.is_object()) return wrongTypeError(path, "an address string or {\"email\", \"name\"}", value);
  return readMailboxObject(value, path);
}

Check readAddresses(const Json& message, std::string_view key, std::vector<Mailbox>& out) {
  const Json* value = member(message, key);
  if (!value) return std::nullopt;
  const std::string path(key);
  if (!value->is_array()) {
    auto mailbox = readAddress(*value, path);
    if (!mailbox) return mailbox.error();
    out.push_back(std::move(*mailbox));
    return std::nullopt;
  }
  for (std::size_t i = 0; i < value->size(); ++i) {
    auto mailbox = readAddress((*value)[i], indexPath(path, i));
    if (!mailbox) return mailbox.error();
    out.push_back(std::move(*mailbox));
  }
  return std::nullopt;
}

Check readSendAt(const Json& message, Submission& submission) {
  std::optional<std::string> text;
  if (auto bad = readString(message, "send_at", "", text)) return bad;
  if (!text) return std::nullopt;
  // Years outside 1970-2099 are refused before parseSendAt sees them: system_clock counts
  // nanoseconds, which overflow before 1678 and after 2262.
  const std::size_t start = std::min(text->find_first_not_of(' '), text->size());
  int year = 0;
  const char* digits = text->data() + start;
  const char* digits_end = text->data() + std::min(start + 4, text->size());
  if (std::from_chars(digits, digits_end, year).ptr == digits_end && (year < 1970 || year > 2099))
    return fieldError("send_at", "must be a time between 1970 and 2099");
  auto due = policy::parseSendAt(*text);
  if (!due) return fieldError("send_at", "is not an RFC 3339 date-time: " + due.error());
  submission.send_at = *due;
  return std::nullopt;
}

Check readContent(const Json& message, Submission& submission) {
  if (auto bad = readString(message, "subject", "", submission.subject)) return bad;
  if (auto bad = readString(message, "text", "", submission.text)) return bad;
  if (auto bad = readString(message, "html", "", submission.html)) return bad;
  if (auto bad = readString(message, "template", "", submission.template_name)) return bad;
  if (auto bad = readObjectText(message, "template_data", "", submission.template_data)) return bad;
  if (submission.template_data && !submission.template_name)
    return fieldError("template_data", "is given without a template");
  return readAttachmentArray(message, "attachments", {"filename", "content", "content_type", "content_id"}, submission.attachments);
}

Check readExtras(const Json& message, const RequestLimits& limits, Submission& submission) {
  if (const Json* headers = member(message, "headers"))
    if (auto bad = readHeaderObject(*headers, "headers", submission.headers)) return bad;
  if (const Json* tags = member(message, "tags")) {
    if (tags->is_string()) submission.tags.push_back(tags->get<std::string>());
    else if (auto bad = readStringArray(*tags, "tags", submission.tags)) return bad;
  }
  if (const Json* metadata = member(message, "metadata"))
    if (auto bad = readStringMap(*metadata, "metadata", limits.max_metadata, submission.metadata)) return bad;
  if (auto bad = readSendAt(message, submission)) return bad;
  if (auto bad = readBool(message, "track_opens", "", submission.track_opens)) return bad;
  return readBool(message, "track_clicks", "", submission.track_clicks);
}

}  // namespace

FieldResult<Submission> readNativeMessage(const Json& message, const RequestLimits& limits) {
  if (!message.is_object()) return wrongTypeError("", "a JSON object", message);
  for (const auto& [key, value] : message.items())
    if (std::find(kNativeFields.begin(), kNativeFields.end(), key) == kNativeFields.end())
      return fieldError(key, "is not a field of a message");
  Submission submission;
  auto sender = readRequiredMailbox(message, "from", readAddress);
  if (!sender) return sender.error();
  submission.from = std::move(*sender);
  for (const char* key : {"to", "cc", "bcc", "reply_to"}) {
    auto& list = std::string_view(key) == "to"   ? submission.to
                 : std::string_view(key) == "cc" ? submission.cc
                 : std::string_view(key) == "bcc" ? submission.bcc
                                                  : submission.reply_to;
    if (auto bad = readAddresses(message, key, list)) return *bad;
  }
  if (auto bad = readContent(message, submission)) return *bad;
  if (auto bad = readExtras(message, limits, submission)) return *bad;
  if (auto bad = checkSubmission(submission, limits, {"to", "text", "tags", "headers", "attachments", "metadata"})) return *bad;
  return submission;
}

FieldResult<Submission> parseNativeMessage(std::string_view body, const RequestLimits& limits) {
  auto json = parseJsonBody(body, limits);
  if (!json) return json.error();
  return readNativeMessage(*json, limits);
}

FieldResult<std::vector<FieldResult<Submission>>> parseNativeBatch(std::string_view body, const RequestLimits& limits) {
  auto json = parseJsonBody(body, limits);
  if (!json) return json.error();
  const Json* messages = member(*json, "messages");
  if (!messages) return fieldError("messages", "is required (an array of messages)");
  if (!messages->is_array()) return wrongTypeError("messages", "an array", *messages);
  if (messages->empty()) return fieldError("messages", "is empty");
  if (messages->size() > limits.max_batch)
    return fieldError("messages", fmt::format("holds more than {} messages", limits.max_batch));
  std::vector<FieldResult<Submission>> items;
  items.reserve(messages->size());
  for (const auto& message : *messages) items.push_back(readNativeMessage(message, limits));
  return items;
}

}  // namespace waybill::api
