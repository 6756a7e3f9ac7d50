#include "api/postmark_request.h"

#include <fmt/format.h>

#include "mail/message_builder.h"

namespace waybill::api {
namespace {

Check readAddressList(const Json& message, std::string_view key, std::vector<Mailbox>& out) {
  std::string text;
  if (auto bad = readString(message, key, "", text)) return bad;
  auto list = parseAddressList(text, std::string(key));
  if (!list) return list.error();
  out = std::move(*list);
  return std::nullopt;
}

Check readHeaders(const Json& message, Submission& submission) {
  return readEachItem(message, "Headers", "an array of {Name, Value}", [&](const Json& item, const std::string& path) -> Check {
    if (!item.is_object()) return wrongTypeError(path, "an object", item);
    CustomHeader header;
    if (auto bad = readString(item, "Name", path, header.name)) return bad;
    if (auto bad = readString(item, "Value", path, header.value)) return bad;
    if (auto problem = mail::customHeaderProblem(header)) return fieldError(path, *problem);
    submission.headers.push_back(std::move(header));
    return std::nullopt;
  });
}

Check readTracking(const Json& message, Submission& submission) {
  if (auto bad = readBool(message, "TrackOpens", "", submission.track_opens)) return bad;
  std::optional<std::string> links;
  if (auto bad = readString(message, "TrackLinks", "", links)) return bad;
  if (!links) return std::nullopt;
  if (*links == "None") submission.track_clicks = false;
  else if (*links == "HtmlAndText" || *links == "HtmlOnly" || *links == "TextOnly") submission.track_clicks = true;
  else return fieldError("TrackLinks", "must be None, HtmlAndText, HtmlOnly or TextOnly");
  return std::nullopt;
}

Check readTemplate(const Json& message, Submission& submission) {
  if (auto bad = readString(message, "TemplateAlias", "", submission.template_name)) return bad;
  if (const Json* id = member(message, "TemplateId")) {
    if (!id->is_number_integer()) return wrongTypeError("TemplateId", "an integer", *id);
    if (submission.template_name) return fieldError("TemplateId", "give TemplateId or TemplateAlias, not both");
    submission.template_name = std::to_string(id->get<std::int64_t>());
  }
  if (!submission.template_name) return fieldError("TemplateAlias", "TemplateAlias or TemplateId is required");
  if (submission.template_name->empty()) return fieldError("TemplateAlias", "is empty");
  if (const Json* model = member(message, "TemplateModel")) {
    if (!model->is_object()) return wrongTypeError("TemplateModel", "an object", *model);
    submission.template_data = model->dump();
  }
  return std::nullopt;
}

Check readBody(const Json& message, PostmarkEndpoint endpoint, Submission& submission) {
  if (auto bad = readString(message, "Subject", "", submission.subject)) return bad;
  if (auto bad = readString(message, "HtmlBody", "", submission.html)) return bad;
  if (auto bad = readString(message, "TextBody", "", submission.text)) return bad;
  if (endpoint == PostmarkEndpoint::WithTemplate)
    if (auto bad = readTemplate(message, submission)) return bad;
  return readAttachmentArray(message, "Attachments", {"Name", "Content", "ContentType", "ContentID"}, submission.attachments);
}

Check readExtras(const Json& message, const RequestLimits& limits, Submission& submission) {
  std::string tag;
  if (auto bad = readString(message, "Tag", "", tag)) return bad;
  if (!tag.empty()) {
    if (auto problem = mail::tagProblem(tag)) return fieldError("Tag", *problem);
    submission.tags.push_back(tag);
  }
  if (const Json* metadata = member(message, "Metadata"))
    if (auto bad = readStringMap(*metadata, "Metadata", limits.max_metadata, submission.metadata)) return bad;
  if (auto bad = readString(message, "MessageStream", "", submission.message_stream)) return bad;
  if (auto bad = readHeaders(message, submission)) return bad;
  return readTracking(message, submission);
}

using Batch = std::vector<FieldResult<Submission>>;

FieldResult<Batch> readBatch(const Json& messages, const std::string& path, PostmarkEndpoint endpoint, const RequestLimits& limits) {
  if (!messages.is_array()) return wrongTypeError(path, "an array of messages", messages);
  if (messages.empty()) return fieldError(path, "holds no message");
  if (messages.size() > limits.max_batch) return fieldError(path, fmt::format("holds more than {} messages", limits.max_batch));
  Batch items;
  items.reserve(messages.size());
  for (const auto& message : messages) items.push_back(readPostmarkMessage(message, endpoint, limits));
  return items;
}

FieldResult<Submission> parseOne(std::string_view body, PostmarkEndpoint endpoint, const RequestLimits& limits) {
  auto json = parseJsonBody(body, limits);
  if (!json) return json.error();
  return readPostmarkMessage(*json, endpoint, limits);
}

}  // namespace

FieldResult<Submission> readPostmarkMessage(const Json& message, PostmarkEndpoint endpoint, const RequestLimits& limits) {
  if (!message.is_object()) return wrongTypeError("", "a JSON object", message);
  Submission submission;
  std::string from;
  if (auto bad = readString(message, "From", "", from)) return *bad;
  if (from.empty()) return fieldError("From", "is required");
  auto sender = parseMailboxText(from, "From");
  if (!sender) return sender.error();
  submission.from = std::move(*sender);
  if (auto bad = readAddressList(message, "To", submission.to)) return *bad;
  if (submission.to.empty()) return fieldError("To", "is required");
  if (auto bad = readAddressList(message, "Cc", submission.cc)) return *bad;
  if (auto bad = readAddressList(message, "Bcc", submission.bcc)) return *bad;
  if (auto bad = readAddressList(message, "ReplyTo", submission.reply_to)) return *bad;
  if (auto bad = readBody(message, endpoint, submission)) return *bad;
  if (auto bad = readExtras(message, limits, submission)) return *bad;
  if (auto bad = checkSubmission(submission, limits, {"To", "TextBody", "Tag", "Headers", "Attachments", "Metadata"})) return *bad;
  return submission;
}

FieldResult<Submission> parsePostmarkEmail(std::string_view body, const RequestLimits& limits) {
  return parseOne(body, PostmarkEndpoint::Email, limits);
}

FieldResult<Submission> parsePostmarkWithTemplate(std::string_view body, const RequestLimits& limits) {
  return parseOne(body, PostmarkEndpoint::WithTemplate, limits);
}

FieldResult<Batch> parsePostmarkBatch(std::string_view body, const RequestLimits& limits) {
  auto json = parseJsonBody(body, limits);
  if (!json) return json.error();
  return readBatch(*json, "", PostmarkEndpoint::Email, limits);
}

FieldResult<Batch> parsePostmarkBatchWithTemplates(std::string_view body, const RequestLimits& limits) {
  auto json = parseJsonBody(body, limits);
  if (!json) return json.error();
  const Json* messages = member(*json, "Messages");
  if (!messages) return fieldError("Messages", "is required (an array of messages)");
  return readBatch(*messages, "Messages", PostmarkEndpoint::WithTemplate, limits);
}

}  // namespace waybill::api
