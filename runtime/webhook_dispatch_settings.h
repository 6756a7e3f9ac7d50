// DispatchSettings: how one endpoint is posted to (secret, batch size, retries, HTTP timeouts),
// derived from [webhooks] and the endpoint. Shared by webhookd's dispatchers and `waybill
// webhooks test`, so both sign and time out alike.
//
//   const auto settings = dispatchSettings(config.webhooks, endpoint);
//   runtime::HttpPoster poster(settings.http);
#pragma once

#include <string>

#include "config/config.h"
#include "runtime/http_client.h"
#include "webhook/retry_schedule.h"
#include "webhook/webhook_endpoint.h"

namespace waybill::webhooks {

struct DispatchSettings {
  std::string secret;
  int batch_size = 1;
  webhook::RetrySchedule retry;
  runtime::HttpPosterOptions http;
};

DispatchSettings dispatchSettings(const WebhooksConfig& config, const webhook::WebhookEndpoint& endpoint);

}  // namespace waybill::webhooks
