#include "config/milter_options.h"

#include "config/option_checks.h"

namespace waybill {

void addMilterOptions(po::options_description& desc) {
  const MilterConfig d;
  desc.add_options()
      ("milter.socket", po::value<std::string>()->default_value(d.socket), "libmilter socket: inet:PORT@127.0.0.1 or unix:/path")
      ("milter.message_id_domain", po::value<std::string>()->default_value(""), "domain of generated Message-IDs (default: From domain)")
      ("milter.timeout", po::value<int>()->default_value(d.timeout_seconds), "seconds of MTA silence before a session is dropped")
      ("milter.reinject_command", po::value<std::string>()->default_value(d.reinject_command), "command re-injecting per-recipient copies ('-f SENDER -- RCPT' appended)")
      ("milter.copy_listener", po::value<std::string>()->default_value(""), "127.0.0.1:PORT of Postfix's copy listener (per-recipient copies over SMTP; default: reinject_command)")
      ("milter.copy_connections", po::value<int>()->default_value(d.copy_connections), "SMTP connections to milter.copy_listener at most")
      ("milter.spool_dir", po::value<std::string>()->default_value(d.spool_dir), "directory for message bodies larger than milter.spool_memory_limit_kb")
      ("milter.spool_memory_limit_kb", po::value<int>()->default_value(d.spool_memory_limit_kb), "body bytes kept in memory before spooling to a file")
      ("milter.template_dir", po::value<std::string>()->default_value(d.template_dir), "folder of NAME.html.mustache / NAME.txt.mustache")
      ("milter.bounce_domains", po::value<std::string>()->default_value(""), "VERP bounce domain per sender domain: 'example.com=bounces.example.com, ...'")
      ("milter.trusted_networks", po::value<std::string>()->default_value(d.trusted_networks), "client networks whose mail is outbound (besides SASL-authenticated and local submission)");
  addMetricsListenOption(desc, "milter");
}

Status buildMilter(const po::variables_map& vm, MilterConfig& milter) {
  milter.socket = vm["milter.socket"].as<std::string>();
  if (auto s = readMetricsListen(vm, "milter.metrics_listen", milter.metrics_listen); !s) return s;
  milter.message_id_domain = vm["milter.message_id_domain"].as<std::string>();
  milter.timeout_seconds = vm["milter.timeout"].as<int>();
  milter.reinject_command = vm["milter.reinject_command"].as<std::string>();
  milter.copy_listener = vm["milter.copy_listener"].as<std::string>();
  milter.copy_connections = vm["milter.copy_connections"].as<int>();
  milter.spool_dir = vm["milter.spool_dir"].as<std::string>();
  milter.spool_memory_limit_kb = vm["milter.spool_memory_limit_kb"].as<int>();
  for (auto [key, value] : {std::pair{"milter.copy_connections", milter.copy_connections},
                            std::pair{"milter.spool_memory_limit_kb", milter.spool_memory_limit_kb},
                            std::pair{"milter.timeout", milter.timeout_seconds}})
    if (auto s = requirePositive(key, value); !s) return s;
  milter.template_dir = vm["milter.template_dir"].as<std::string>();
  milter.bounce_domains = vm["milter.bounce_domains"].as<std::string>();
  milter.trusted_networks = vm["milter.trusted_networks"].as<std::string>();
  return {};
}

}  // namespace waybill
