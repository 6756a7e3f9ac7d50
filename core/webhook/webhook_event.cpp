#include "webhook/webhook_event.h"

#include <nlohmann/json.hpp>

namespace waybill::webhook {
namespace {

nlohmann::json toJson(const WebhookEvent& event) {
  nlohmann::json out = {{"id", event.id}, {"type", event.type}, {"occurred_at", event.occurred_at}};
  const std::pair<const char*, const std::optional<std::string>*> optional_fields[] = {
      {"message_id", &event.message_id}, {"recipient_id", &event.recipient_id},
      {"recipient", &event.recipient},   {"sender", &event.sender},
      {"url", &event.url},               {"ip", &event.ip},
      {"user_agent", &event.user_agent}, {"machine_reason", &event.machine_reason}};
  for (const auto& [name, value] : optional_fields)
    if (*value) out[name] = **value;
  out["machine"] = event.machine;
  // Text from the database is UTF-8 already; replace rather than throw on anything odd.
  auto details = nlohmann::json::parse(event.details_json, nullptr, /*allow_exceptions=*/false);
  out["details"] = details.is_discarded() ? nlohmann::json{{"raw", event.details_json}} : details;
  const std::pair<const char*, const std::optional<std::string>*> message_fields[] = {
      {"tags", &event.tags_json}, {"metadata", &event.metadata_json}};
  for (const auto& [name, text] : message_fields) {
    if (!*text) continue;
    auto value = nlohmann::json::parse(**text, nullptr, /*allow_exceptions=*/false);
    if (!value.is_discarded()) out[name] = std::move(value);
  }
  return out;
}

std::string dump(const nlohmann::json& json) {
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string webhookEventJson(const WebhookEvent& event) { return dump(toJson(event)); }

std::string webhookBody(const std::vector<WebhookEvent>& events) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& event : events) list.push_back(toJson(event));
  return dump(nlohmann::json{{"events", std::move(list)}});
}

std::string eventIdList(const std::vector<WebhookEvent>& events) {
  std::string ids;
  for (const auto& event : events) {
    if (!ids.empty()) ids += ',';
    ids += event.id;
  }
  return ids;
}

}  // namespace waybill::webhook
