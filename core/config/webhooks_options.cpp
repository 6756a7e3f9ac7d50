#include "config/webhooks_options.h"

#include "config/option_checks.h"
#include "webhook/webhooks_settings.h"

namespace waybill {

void addWebhooksOptions(po::options_description& desc) {
  const WebhooksConfig d;
  desc.add_options()
      ("webhooks.endpoint", po::value<std::vector<std::string>>()->composing(), "repeatable: 'NAME URL [events=T1,T2|*] [sender=ADDR|@DOMAIN,...] [secret=S]'")
      ("webhooks.secret", po::value<std::string>()->default_value(""), "HMAC-SHA256 key signing requests (X-Waybill-Signature)")
      ("webhooks.batch_size", po::value<int>()->default_value(d.batch_size), "events per POST")
      ("webhooks.timeout", po::value<int>()->default_value(d.timeout_seconds), "seconds per request")
      ("webhooks.connect_timeout", po::value<int>()->default_value(d.connect_timeout_seconds), "seconds to connect")
      ("webhooks.retry_initial_ms", po::value<int>()->default_value(d.retry_initial_ms), "first retry delay (doubles each retry)")
      ("webhooks.retry_max", po::value<int>()->default_value(d.retry_max_seconds), "longest delay between retries, seconds")
      ("webhooks.retry_period", po::value<int>()->default_value(d.retry_period_seconds), "seconds of retrying before events are recorded as failed")
      ("webhooks.park_after", po::value<int>()->default_value(d.park_after), "attempts before an event the receiver answers with a server error (not 503) is parked and the endpoint moves on; 0: never park");
  addMetricsListenOption(desc, "webhooks");
}

Status buildWebhooks(const po::variables_map& vm, WebhooksConfig& webhooks) {
  webhooks.secret = vm["webhooks.secret"].as<std::string>();
  const std::pair<const char*, int*> numbers[] = {
      {"webhooks.batch_size", &webhooks.batch_size}, {"webhooks.timeout", &webhooks.timeout_seconds},
      {"webhooks.connect_timeout", &webhooks.connect_timeout_seconds},
      {"webhooks.retry_initial_ms", &webhooks.retry_initial_ms}, {"webhooks.retry_max", &webhooks.retry_max_seconds},
      {"webhooks.retry_period", &webhooks.retry_period_seconds}};
  for (const auto& [key, target] : numbers) {
    *target = vm[key].as<int>();
    if (auto s = requirePositive(key, *target); !s) return s;
  }
  webhooks.park_after = vm["webhooks.park_after"].as<int>();
  if (webhooks.park_after < 0) return makeError("option 'webhooks.park_after': must be 0 (never park) or more");
  webhooks.endpoint_lines = vm.count("webhooks.endpoint") ? vm["webhooks.endpoint"].as<std::vector<std::string>>()
                                                          : std::vector<std::string>();
  // Refused when the configuration is loaded, not when webhookd first needs them.
  if (auto endpoints = webhook::webhookEndpoints(webhooks); !endpoints) return makeError(endpoints.error());
  if (auto s = readMetricsListen(vm, "webhooks.metrics_listen", webhooks.metrics_listen); !s) return s;
  return {};
}

}  // namespace waybill
