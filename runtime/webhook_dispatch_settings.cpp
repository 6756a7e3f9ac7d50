#include "runtime/webhook_dispatch_settings.h"

namespace waybill::webhooks {

DispatchSettings dispatchSettings(const WebhooksConfig& config, const webhook::WebhookEndpoint& endpoint) {
  DispatchSettings settings;
  settings.secret = endpoint.secret.empty() ? config.secret : endpoint.secret;
  settings.batch_size = config.batch_size;
  settings.retry = {std::chrono::milliseconds(config.retry_initial_ms), std::chrono::seconds(config.retry_max_seconds),
                    std::chrono::seconds(config.retry_period_seconds), config.park_after};
  settings.http.timeout = std::chrono::seconds(config.timeout_seconds);
  settings.http.connect_timeout = std::chrono::seconds(config.connect_timeout_seconds);
  settings.http.user_agent = std::string("waybill-webhookd/") + WAYBILL_VERSION;
  return settings;
}

}  // namespace waybill::webhooks
