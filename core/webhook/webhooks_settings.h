// The webhook endpoints built from the [webhooks] section as written: each endpoint line parsed,
// names unique, and a secret for each (its own or webhooks.secret). Loading the configuration
// runs this too, so on a loaded Config it always succeeds.
//
//   for (const auto& endpoint : webhook::webhookEndpoints(config.webhooks).value()) ...
#pragma once

#include <vector>

#include "config/webhooks_options.h"
#include "util/result.h"
#include "webhook/webhook_endpoint.h"

namespace waybill::webhook {

// Errors name the option: "option 'webhooks.endpoint': ...".
Result<std::vector<WebhookEndpoint>> webhookEndpoints(const WebhooksConfig& webhooks);

}  // namespace waybill::webhook
