// The [api] section of waybill-apid, the HTTP submission API (docs/http-api.md): where it
// listens, where it hands mail to Postfix, and the caps on what one request may ask for.
#pragma once

#include <boost/program_options.hpp>
#include <cstdint>
#include <string>

#include "util/result.h"

namespace waybill {

struct ApiConfig {
  std::string listen = "127.0.0.1:8026";     // IPV4ADDRESS:PORT or unix:/path
  std::string submit = "smtp:127.0.0.1:25";  // Postfix's SMTP listener, on loopback
  std::string metrics_listen;                // Prometheus /metrics on loopback HOST:PORT; empty: off
  std::string message_id_domain;             // right side of the Message-IDs it assigns; empty: host name
  std::string tls_cert;                      // PEM certificate chain; with tls_key, the listener speaks TLS
  std::string tls_key;                       // PEM private key of tls_cert
  int submit_connections = 8;                // persistent SMTP connections to Postfix
  int max_connections = 256;                 // HTTP clients at once; more get 503
  int timeout_seconds = 30;                  // an idle or slow client is dropped after this
  std::uint64_t max_body_bytes = 10u << 20;  // one request's JSON (Postmark allows 10 MB)
  int max_recipients = 50;                   // To + Cc + Bcc of one message
  int max_batch = 500;                       // messages in one batch request
};

void addApiOptions(boost::program_options::options_description& desc);
Status buildApi(const boost::program_options::variables_map& vm, ApiConfig& api);

}  // namespace waybill
