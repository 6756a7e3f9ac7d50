#include "webhook/webhooks_settings.h"

#include <fmt/format.h>

#include <utility>

#include "config/option_checks.h"

namespace waybill::webhook {

Result<std::vector<WebhookEndpoint>> webhookEndpoints(const WebhooksConfig& webhooks) {
  return parseRepeatedOption<WebhookEndpoint>(
      "webhooks.endpoint", webhooks.endpoint_lines, parseWebhookEndpoint,
      [&](const WebhookEndpoint& endpoint, const std::vector<WebhookEndpoint>& earlier) -> Status {
        for (const auto& other : earlier)
          if (other.name == endpoint.name)
            return makeError(fmt::format("option 'webhooks.endpoint': name '{}' is used twice", other.name));
        if (endpoint.secret.empty() && webhooks.secret.empty())
          return makeError(fmt::format("option 'webhooks.secret': required (endpoint '{}' has no secret=)", endpoint.name));
        return {};
      });
}

}  // namespace waybill::webhook
