#include "api_responses.h"

#include <nlohmann/json.hpp>

namespace waybill::apid {
namespace {

using Json = nlohmann::json;

HttpResponse json(int status, const Json& body) {
  HttpResponse response;
  response.status = status;
  response.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return response;
}

const char* stateName(RecipientVerdict::State state) {
  switch (state) {
    case RecipientVerdict::State::Queued: return "accepted";
    case RecipientVerdict::State::Refused: return "refused";
    case RecipientVerdict::State::Deferred: return "deferred";
    case RecipientVerdict::State::Suppressed: return "suppressed";
    case RecipientVerdict::State::NotSent: break;
  }
  return "not_sent";
}

Json nativeRecipients(const SendResult& result) {
  Json list = Json::array();
  for (const auto& verdict : result.recipients) {
    Json entry = {{"to", verdict.address}, {"message_id", result.message_id}, {"status", stateName(verdict.state)}};
    entry["id"] = verdict.id.empty() ? Json(nullptr) : Json(verdict.id);
    if (verdict.state != RecipientVerdict::State::Queued) entry["reply"] = verdict.reply;
    list.push_back(std::move(entry));
  }
  return list;
}

Json nativeError(const SendResult& error) {
  Json body = {{"status", error.status}, {"message", error.message}};
  body["field"] = error.field.empty() ? Json(nullptr) : Json(error.field);
  return body;
}

Json nativeItem(const SendResult& result) {
  if (!result.sent()) return {{"error", nativeError(result)}};
  return {{"message_id", result.message_id}, {"recipients", nativeRecipients(result)}};
}

std::string joined(const std::vector<std::string>& addresses) {
  std::string text;
  for (const auto& address : addresses) text += (text.empty() ? "" : ", ") + address;
  return text;
}

Json postmarkItem(const SendResult& result) {
  if (!result.sent()) {
    std::string message = result.message;
    if (!result.field.empty() && message.find(result.field) == std::string::npos) message = result.field + ": " + message;
    return {{"ErrorCode", result.postmark_code}, {"Message", message}};
  }
  std::string message = "OK";
  for (const auto& verdict : result.recipients)
    if (verdict.state != RecipientVerdict::State::Queued)
      message = "Message accepted, but some recipients were not sent to: " + verdict.address + " (" + verdict.reply + ")";
  return {{"To", joined(result.to)}, {"SubmittedAt", result.submitted_at}, {"MessageID", result.uuid},
          {"ErrorCode", 0}, {"Message", message}};
}

Json sendGridErrors(const SendResult& error) {
  Json entry = {{"message", error.message}, {"help", nullptr}};
  entry["field"] = error.field.empty() ? Json(nullptr) : Json(error.field);
  return {{"errors", Json::array({entry})}};
}

HttpResponse withRetryAfter(HttpResponse response, int status) {
  if (status == 503) response.headers.emplace_back("Retry-After", "5");
  return response;
}

}  // namespace

Dialect dialectOf(const std::string& path) {
  if (path == "/email" || path.rfind("/email/", 0) == 0) return Dialect::Postmark;
  if (path.rfind("/v3/", 0) == 0) return Dialect::SendGrid;
  return Dialect::Native;
}

HttpResponse errorResponse(Dialect dialect, const SendResult& error) {
  const int status = error.status;
  switch (dialect) {
    case Dialect::Postmark: return withRetryAfter(json(status, postmarkItem(error)), status);
    case Dialect::SendGrid: return withRetryAfter(json(status, sendGridErrors(error)), status);
    case Dialect::Native: break;
  }
  return withRetryAfter(json(status, {{"error", nativeError(error)}}), status);
}

HttpResponse singleResponse(Dialect dialect, const SendResult& result) {
  if (!result.sent()) return errorResponse(dialect, result);
  if (dialect == Dialect::Postmark) return json(200, postmarkItem(result));
  if (dialect == Dialect::SendGrid) return sendGridResponse({result});
  return json(202, nativeItem(result));
}

HttpResponse batchResponse(Dialect dialect, const std::vector<SendResult>& results) {
  Json list = Json::array();
  for (const auto& result : results) list.push_back(dialect == Dialect::Postmark ? postmarkItem(result) : nativeItem(result));
  if (dialect == Dialect::Postmark) return json(200, list);
  for (std::size_t i = 0; i < list.size(); ++i) {
    list[i]["index"] = i;
    list[i]["status"] = results[i].status;
  }
  return json(200, {{"results", list}});
}

HttpResponse sendGridResponse(const std::vector<SendResult>& results) {
  for (const auto& result : results)
    if (!result.sent()) return errorResponse(Dialect::SendGrid, result);
  HttpResponse response;
  response.status = 202;
  response.content_type.clear();
  if (!results.empty()) response.headers.emplace_back("X-Message-Id", results.front().uuid);
  return response;
}

}  // namespace waybill::apid
