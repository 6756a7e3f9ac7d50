#include "api/sendgrid_request.h"

#include <fmt/format.h>

#include "mail/address.h"
#include "mail/message_builder.h"

namespace waybill::api {
namespace {

// SendGrid's own cap on personalizations in one request.
constexpr std::size_t kMaxPersonalizations = 1000;
// 2099-12-31T23:59:59Z, as the native API: system_clock counts nanoseconds, which overflow in 2262.
constexpr std::int64_t kLatestSendAt = 4102444799;

Check readEmailArray(const Json& object, std::string_view key, const std::string& parent, std::vector<Mailbox>& out) {
  const Json* value = member(object, key);
  if (!value) return std::nullopt;
  const std::string path = fieldPath(parent, key);
  if (!value->is_array()) return wrongTypeError(path, "an array", *value);
  for (std::size_t i = 0; i < value->size(); ++i) {
    auto mailbox = readMailboxObject((*value)[i], indexPath(path, i));
    if (!mailbox) return mailbox.error();
    out.push_back(std::move(*mailbox));
  }
  return std::nullopt;
}

Check readSendAt(const Json& object, const std::string& parent, Submission& submission) {
  const Json* value = member(object, "send_at");
  if (!value) return std::nullopt;
  if (!value->is_number_integer() || value->get<std::int64_t>() < 0 || value->get<std::int64_t>() > kLatestSendAt)
    return fieldError(fieldPath(parent, "send_at"), "must be a Unix time (seconds, a non-negative integer before 2100)");
  submission.send_at = std::chrono::system_clock::time_point(std::chrono::seconds(value->get<std::int64_t>()));
  return std::nullopt;
}

Check readContent(const Json& mail, Submission& shared) {
  return readEachItem(mail, "content", "an array of {type, value}", [&](const Json& item, const std::string& path) -> Check {
    if (!item.is_object()) return wrongTypeError(path, "an object", item);
    std::string type;
    std::string value;
    if (auto bad = readString(item, "type", path, type)) return bad;
    if (auto bad = readString(item, "value", path, value)) return bad;
    if (type != "text/plain" && type != "text/html")
      return fieldError(fieldPath(path, "type"), "only text/plain and text/html content is supported");
    auto& slot = type == "text/plain" ? shared.text : shared.html;
    if (slot) return fieldError(fieldPath(path, "type"), "is given twice");
    slot = std::move(value);
    return std::nullopt;
  });
}

Check readAttachments(const Json& mail, Submission& shared) {
  return readEachItem(mail, "attachments", "an array", [&](const Json& item, const std::string& path) -> Check {
    auto attachment = readAttachment(item, path, {"filename", "content", "type", "content_id"});
    if (!attachment) return attachment.error();
    std::string disposition = "attachment";
    if (auto bad = readString(item, "disposition", path, disposition)) return bad;
    if (disposition != "attachment" && disposition != "inline")
      return fieldError(fieldPath(path, "disposition"), "must be inline or attachment");
    if (disposition == "attachment") attachment->content_id.clear();
    if (disposition == "inline" && attachment->content_id.empty())
      return fieldError(fieldPath(path, "content_id"), "is required for an inline attachment");
    shared.attachments.push_back(std::move(*attachment));
    return std::nullopt;
  });
}

Check readTracking(const Json& mail, Submission& shared) {
  const Json* settings = member(mail, "tracking_settings");
  if (!settings) return std::nullopt;
  if (!settings->is_object()) return wrongTypeError("tracking_settings", "an object", *settings);
  const std::pair<const char*, std::optional<bool>*> kinds[] = {{"open_tracking", &shared.track_opens},
                                                                {"click_tracking", &shared.track_clicks}};
  for (const auto& [key, flag] : kinds) {
    const Json* kind = member(*settings, key);
    if (!kind) continue;
    const std::string path = fieldPath("tracking_settings", key);
    if (!kind->is_object()) return wrongTypeError(path, "an object", *kind);
    if (auto bad = readBool(*kind, "enable", path, *flag)) return bad;
  }
  return std::nullopt;
}

// Everything the personalizations share.
FieldResult<Submission> readShared(const Json& mail, const RequestLimits& limits) {
  Submission shared;
  auto sender = readRequiredMailbox(mail, "from", readMailboxObject);
  if (!sender) return sender.error();
  shared.from = std::move(*sender);
  if (const Json* reply_to = member(mail, "reply_to")) {
    auto mailbox = readMailboxObject(*reply_to, "reply_to");
    if (!mailbox) return mailbox.error();
    shared.reply_to.push_back(std::move(*mailbox));
  }
  if (auto bad = readEmailArray(mail, "reply_to_list", "", shared.reply_to)) return *bad;
  if (auto bad = readString(mail, "subject", "", shared.subject)) return *bad;
  if (auto bad = readContent(mail, shared)) return *bad;
  if (auto bad = readAttachments(mail, shared)) return *bad;
  if (const Json* categories = member(mail, "categories"))
    if (auto bad = readStringArray(*categories, "categories", shared.tags)) return *bad;
  if (const Json* headers = member(mail, "headers"))
    if (auto bad = readHeaderObject(*headers, "headers", shared.headers)) return *bad;
  if (const Json* custom_args = member(mail, "custom_args"))
    if (auto bad = readStringMap(*custom_args, "custom_args", limits.max_metadata, shared.metadata)) return *bad;
  if (auto bad = readSendAt(mail, "", shared)) return *bad;
  if (auto bad = readString(mail, "template_id", "", shared.template_name)) return *bad;
  if (auto bad = readTracking(mail, shared)) return *bad;
  return shared;
}

// A personalization's own values over the shared ones (headers and custom_args merge, its own win).
FieldResult<Submission> readPersonalization(const Json& item, const std::string& path, const Submission& shared,
                                            const RequestLimits& limits) {
  if (!item.is_object()) return wrongTypeError(path, "an object", item);
  Submission message = shared;
  if (const Json* from = member(item, "from")) {
    auto sender = readMailboxObject(*from, fieldPath(path, "from"));
    if (!sender) return sender.error();
    message.from = std::move(*sender);
  }
  if (auto bad = readEmailArray(item, "to", path, message.to)) return *bad;
  if (message.to.empty()) return fieldError(fieldPath(path, "to"), "is required (at least one recipient)");
  if (auto bad = readEmailArray(item, "cc", path, message.cc)) return *bad;
  if (auto bad = readEmailArray(item, "bcc", path, message.bcc)) return *bad;
  if (auto bad = readString(item, "subject", path, message.subject)) return *bad;
  if (const Json* headers = member(item, "headers")) {
    std::vector<CustomHeader> own;
    if (auto bad = readHeaderObject(*headers, fieldPath(path, "headers"), own)) return *bad;
    for (auto& header : own) {
      std::erase_if(message.headers, [&](const CustomHeader& h) { return equalsIgnoreCase(h.name, header.name); });
      message.headers.push_back(std::move(header));
    }
  }
  if (const Json* custom_args = member(item, "custom_args"))
    if (auto bad = readStringMap(*custom_args, fieldPath(path, "custom_args"), limits.max_metadata, message.metadata)) return *bad;
  if (auto bad = readObjectText(item, "dynamic_template_data", path, message.template_data)) return *bad;
  if (auto bad = readSendAt(item, path, message)) return *bad;
  if (auto bad = checkSubmission(message, limits, {fieldPath(path, "to"), "content", "categories", "headers", "attachments", "custom_args"}))
    return *bad;
  return message;
}

}  // namespace

FieldResult<std::vector<Submission>> parseSendGridMail(std::string_view body, const RequestLimits& limits) {
  auto json = parseJsonBody(body, limits);
  if (!json) return json.error();
  if (!json->is_object()) return wrongTypeError("", "a JSON object", *json);
  const Json* personalizations = member(*json, "personalizations");
  if (!personalizations) return fieldError("personalizations", "is required");
  if (!personalizations->is_array() || personalizations->empty())
    return fieldError("personalizations", "must be an array of at least one personalization");
  if (personalizations->size() > kMaxPersonalizations)
    return fieldError("personalizations", fmt::format("holds more than {} personalizations", kMaxPersonalizations));
  auto shared = readShared(*json, limits);
  if (!shared) return shared.error();
  std::vector<Submission> messages;
  messages.reserve(personalizations->size());
  for (std::size_t i = 0; i < personalizations->size(); ++i) {
    auto message = readPersonalization((*personalizations)[i], indexPath("personalizations", i), *shared, limits);
    if (!message) return message.error();
    messages.push_back(std::move(*message));
  }
  return messages;
}

}  // namespace waybill::api
