// The [webhooks] section of waybill-webhookd: where events go and how hard to try. Endpoint lines
// are kept as written; the webhook module builds its WebhookEndpoint list from them
// (webhook/webhooks_settings.h), and loading the configuration already
// refuses a line it would not accept.
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <vector>

#include "util/result.h"

namespace waybill {

struct WebhooksConfig {
  std::vector<std::string> endpoint_lines;  // webhooks.endpoint: 'NAME URL [events=..] [sender=..] [secret=S]'
  std::string secret;                 // HMAC key of endpoints without their own secret=
  int batch_size = 1;                 // events per POST
  int timeout_seconds = 10;           // a whole request, connect included
  int connect_timeout_seconds = 5;
  int retry_initial_ms = 1000;        // first retry delay; doubles each time
  int retry_max_seconds = 600;        // cap of the delay
  int retry_period_seconds = 86400;   // then the events are recorded as failed
  int park_after = 5;                 // attempts an event the receiver refuses gets before it is parked; 0: never
  std::string metrics_listen;         // Prometheus /metrics on loopback HOST:PORT; empty: off
};

void addWebhooksOptions(boost::program_options::options_description& desc);
Status buildWebhooks(const boost::program_options::variables_map& vm, WebhooksConfig& webhooks);

}  // namespace waybill
