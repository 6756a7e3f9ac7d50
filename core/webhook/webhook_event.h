// WebhookEvent: one events row as waybill-webhookd sends it, and the JSON request body built
// from a batch of them. The body is always {"events": [...]}, whatever the batch size, so a
// receiver has one shape to parse; each event carries its id for deduplication.
//
//   std::string body = webhookBody(events);   // {"events":[{"id":"...","type":"delivered",...}]}
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace waybill::webhook {

struct WebhookEvent {
  std::int64_t seq = 0;      // delivery order (outbox sequence); not sent
  std::string id;            // events.id (uuid): the receiver's deduplication key
  std::string type;          // accepted, delivered, ..., inbound
  std::string occurred_at;   // RFC 3339 UTC, as PostgreSQL formats it for us
  std::optional<std::string> message_id;
  std::optional<std::string> recipient_id;
  std::optional<std::string> recipient;
  std::optional<std::string> sender;
  std::optional<std::string> url;
  std::optional<std::string> ip;
  std::optional<std::string> user_agent;
  bool machine = false;
  std::optional<std::string> machine_reason;
  std::string details_json = "{}";  // events.details, already JSON
  // The message's tags (a JSON array) and metadata (a JSON object), for events of a message.
  std::optional<std::string> tags_json;
  std::optional<std::string> metadata_json;
};

// One event as a JSON object (absent columns are left out; details is embedded as JSON,
// or as {"raw": text} if it does not parse; tags and metadata are left out if they do not parse).
std::string webhookEventJson(const WebhookEvent& event);
// The request body for a batch.
std::string webhookBody(const std::vector<WebhookEvent>& events);
// Comma-separated event ids, for the X-Waybill-Event-Ids header.
std::string eventIdList(const std::vector<WebhookEvent>& events);

}  // namespace waybill::webhook
