// WebhookEndpoint: one application URL that waybill-webhookd POSTs events to, with the event
// types and senders it wants. Parsed from repeated `[webhooks] endpoint = ...` lines:
//
//   endpoint = crm https://crm.example.com/hooks/waybill events=delivered,bounced sender=@shop.example
//   auto endpoint = parseWebhookEndpoint(line);   // name, URL, then optional key=value filters
//   if (endpoint->wants("bounced", "news@shop.example")) ...
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace waybill::webhook {

// Every event type the events table allows, plus `inbound` (rows of inbound_messages).
const std::set<std::string, std::less<>>& knownEventTypes();

struct WebhookEndpoint {
  std::string name;                  // [A-Za-z0-9_-]+, the key of its delivery rows
  std::string url;                   // http:// or https://
  std::set<std::string, std::less<>> events;  // empty: every type
  std::vector<std::string> senders;  // "a@b.example" (exact) or "@b.example" (domain); empty: all
  std::string secret;                // signing secret; empty: [webhooks] secret

  bool wantsType(std::string_view type) const;
  bool wantsSender(std::string_view sender) const;
  bool wants(std::string_view type, std::string_view sender) const {
    return wantsType(type) && wantsSender(sender);
  }
  std::string describe() const;  // one line for `waybill webhooks list`
};

// "NAME URL [events=T1,T2|*] [sender=ADDR|@DOMAIN[,...]] [secret=TEXT]"
Result<WebhookEndpoint> parseWebhookEndpoint(std::string_view line);

}  // namespace waybill::webhook
