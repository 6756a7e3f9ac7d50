#include "config/api_options.h"

#include <fmt/format.h>

#include "config/option_checks.h"
#include "config/trackd_options.h"

namespace waybill {

void addApiOptions(po::options_description& desc) {
  const ApiConfig d;
  desc.add_options()
      ("api.listen", po::value<std::string>()->default_value(d.listen), "waybill-apid's HTTP listener: IPV4ADDRESS:PORT or unix:/path")
      ("api.submit", po::value<std::string>()->default_value(d.submit), "where waybill-apid hands mail to Postfix: smtp:HOST:PORT")
      ("api.message_id_domain", po::value<std::string>()->default_value(""), "domain of the Message-IDs waybill-apid assigns (default: the host name)")
      ("api.tls_cert", po::value<std::string>()->default_value(""), "PEM certificate chain: with api.tls_key, waybill-apid speaks HTTPS")
      ("api.tls_key", po::value<std::string>()->default_value(""), "PEM private key of api.tls_cert")
      ("api.submit_connections", po::value<int>()->default_value(d.submit_connections), "persistent SMTP connections to Postfix")
      ("api.max_connections", po::value<int>()->default_value(d.max_connections), "HTTP clients served at once; more are answered 503")
      ("api.timeout", po::value<int>()->default_value(d.timeout_seconds), "seconds before an idle or slow HTTP client is dropped")
      ("api.max_body_size", po::value<std::string>()->default_value("10M"), "largest request body (K, M, G suffixes)")
      ("api.max_recipients", po::value<int>()->default_value(d.max_recipients), "To + Cc + Bcc of one message at most")
      ("api.max_batch", po::value<int>()->default_value(d.max_batch), "messages in one batch request at most");
  addMetricsListenOption(desc, "api");
}

Status buildApi(const po::variables_map& vm, ApiConfig& api) {
  if (auto s = readMetricsListen(vm, "api.metrics_listen", api.metrics_listen); !s) return s;
  api.listen = vm["api.listen"].as<std::string>();
  api.submit = vm["api.submit"].as<std::string>();
  api.message_id_domain = vm["api.message_id_domain"].as<std::string>();
  api.tls_cert = vm["api.tls_cert"].as<std::string>();
  api.tls_key = vm["api.tls_key"].as<std::string>();
  if (api.tls_cert.empty() != api.tls_key.empty())
    return makeError(api.tls_cert.empty() ? "option 'api.tls_cert': required with api.tls_key"
                                          : "option 'api.tls_key': required with api.tls_cert");
  api.submit_connections = vm["api.submit_connections"].as<int>();
  api.max_connections = vm["api.max_connections"].as<int>();
  api.timeout_seconds = vm["api.timeout"].as<int>();
  api.max_recipients = vm["api.max_recipients"].as<int>();
  api.max_batch = vm["api.max_batch"].as<int>();
  for (auto [key, value] : {std::pair{"api.submit_connections", api.submit_connections},
                            std::pair{"api.max_connections", api.max_connections}, std::pair{"api.timeout", api.timeout_seconds},
                            std::pair{"api.max_recipients", api.max_recipients}, std::pair{"api.max_batch", api.max_batch}})
    if (auto s = requirePositive(key, value); !s) return s;
  auto size = parseByteSize(vm["api.max_body_size"].as<std::string>());
  if (!size || *size == 0) return makeError(fmt::format("option 'api.max_body_size': '{}' is not a size such as 10M",
                                                        vm["api.max_body_size"].as<std::string>()));
  api.max_body_bytes = *size;
  if (api.submit.rfind("smtp:", 0) != 0)
    return makeError(fmt::format("option 'api.submit': '{}' is not smtp:HOST:PORT", api.submit));
  return {};
}

}  // namespace waybill
