#include "webhook/webhook_endpoint.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <sstream>

#include "text/ascii_text.h"

namespace waybill::webhook {
namespace {

bool validName(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](unsigned char c) {
           return std::isalnum(c) || c == '-' || c == '_';
         });
}

Status applyEvents(std::string_view value, WebhookEndpoint& endpoint) {
  if (value == "*") return {};
  for (const auto& type : splitList(value)) {
    if (!knownEventTypes().contains(type))
      return makeError(fmt::format("unknown event type '{}' (known: {})", type,
                                   fmt::join(knownEventTypes(), ", ")));
    endpoint.events.insert(type);
  }
  if (endpoint.events.empty()) return makeError("events= lists no event type");
  return {};
}

Status applySenders(std::string_view value, WebhookEndpoint& endpoint) {
  for (const auto& sender : splitList(value)) {
    if (sender.find('@') == std::string::npos)
      return makeError(fmt::format("sender '{}' is neither an address nor @domain", sender));
    endpoint.senders.push_back(toLower(sender));
  }
  return {};
}

Status applyOption(std::string_view option, WebhookEndpoint& endpoint) {
  const auto eq = option.find('=');
  if (eq == std::string_view::npos) return makeError(fmt::format("'{}' is not key=value", option));
  const auto key = option.substr(0, eq);
  const auto value = option.substr(eq + 1);
  if (key == "events") return applyEvents(value, endpoint);
  if (key == "sender" || key == "senders") return applySenders(value, endpoint);
  if (key == "secret") {
    endpoint.secret = std::string(value);
    return {};
  }
  return makeError(fmt::format("unknown key '{}' (events=, sender=, secret=)", key));
}

}  // namespace

const std::set<std::string, std::less<>>& knownEventTypes() {
  static const std::set<std::string, std::less<>> types = {
      "accepted", "deferred", "delivered",  "bounced",  "opened",    "clicked", "unsubscribed",
      "complained", "suppressed", "held", "released", "cancelled", "inbound"};
  return types;
}

bool WebhookEndpoint::wantsType(std::string_view type) const { return events.empty() || events.contains(type); }

bool WebhookEndpoint::wantsSender(std::string_view sender) const {
  if (senders.empty()) return true;
  const std::string address = toLower(sender);
  const auto at = address.rfind('@');
  const std::string domain = at == std::string::npos ? std::string() : address.substr(at);
  return std::any_of(senders.begin(), senders.end(), [&](const std::string& wanted) {
    return wanted == address || (wanted.front() == '@' && wanted == domain);
  });
}

std::string WebhookEndpoint::describe() const {
  return fmt::format("{} {} events={} sender={}{}", name, url,
                     events.empty() ? "*" : fmt::format("{}", fmt::join(events, ",")),
                     senders.empty() ? "*" : fmt::format("{}", fmt::join(senders, ",")),
                     secret.empty() ? "" : " (own secret)");
}

Result<WebhookEndpoint> parseWebhookEndpoint(std::string_view line) {
  std::istringstream in{std::string(line)};
  WebhookEndpoint endpoint;
  if (!(in >> endpoint.name >> endpoint.url)) return makeError(fmt::format("'{}': expected NAME URL [key=value...]", line));
  if (!validName(endpoint.name))
    return makeError(fmt::format("'{}': the name may only hold letters, digits, - and _", endpoint.name));
  if (endpoint.url.rfind("http://", 0) != 0 && endpoint.url.rfind("https://", 0) != 0)
    return makeError(fmt::format("'{}': the URL must start with http:// or https://", endpoint.url));
  std::string option;
  while (in >> option)
    if (auto applied = applyOption(option, endpoint); !applied)
      return makeError(fmt::format("endpoint '{}': {}", endpoint.name, applied.error()));
  return endpoint;
}

}  // namespace waybill::webhook
