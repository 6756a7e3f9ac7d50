#include "webhook/webhooks_settings.h"

#include <fmt/format.h>

#include <utility>

namespace waybill::webhook {

Result<std::vector<WebhookEndpoint>> webhookEndpoints(const WebhooksConfig& webhooks) {
  std::vector<WebhookEndpoint> endpoints;
  for (const auto& line : webhooks.endpoint_lines) {
    auto endpoint = parseWebhookEndpoint(line);
    if (!endpoint) return makeError("option 'webhooks.endpoint': " + endpoint.error());
    for (const auto& other : endpoints)
      if (other.name == endpoint->name)
        return makeError(fmt::format("option 'webhooks.endpoint': name '{}' is used twice", other.name));
    if (endpoint->secret.empty() && webhooks.secret.empty())
      return makeError(fmt::format("option 'webhooks.secret': required (endpoint '{}' has no secret=)", endpoint->name));
    endpoints.push_back(std::move(*endpoint));
  }
  return endpoints;
}

}  // namespace waybill::webhook
