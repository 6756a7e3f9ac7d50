#include "config/pipe_options.h"

#include <fmt/format.h>

#include <cstdlib>

#include "config/option_checks.h"
#include "text/ascii_text.h"

namespace waybill {
namespace {

Status buildPipeDaemon(const po::variables_map& vm, PipeConfig& pipe) {
  pipe.socket = vm["pipe.socket"].as<std::string>();
  if (!pipe.socket.empty() && (pipe.socket.rfind("unix:/", 0) != 0 || pipe.socket.size() > 100))
    return makeError(fmt::format("option 'pipe.socket': '{}' is not unix:/absolute/path (at most 100 characters)", pipe.socket));
  const std::string mode = vm["pipe.socket_mode"].as<std::string>();
  char* end = nullptr;
  const long parsed = std::strtol(mode.c_str(), &end, 8);
  if (mode.empty() || *end != '\0' || parsed <= 0 || parsed > 0777)
    return makeError(fmt::format("option 'pipe.socket_mode': '{}' is not an octal mode such as 0660", mode));
  pipe.socket_mode = static_cast<int>(parsed);
  pipe.pool_size = vm["pipe.pool_size"].as<int>();
  pipe.max_connections = vm["pipe.max_connections"].as<int>();
  pipe.max_message_mb = vm["pipe.max_message_mb"].as<int>();
  pipe.timeout_seconds = vm["pipe.timeout"].as<int>();
  for (auto [key, value] : {std::pair{"pipe.pool_size", pipe.pool_size}, std::pair{"pipe.max_connections", pipe.max_connections},
                            std::pair{"pipe.max_message_mb", pipe.max_message_mb}, std::pair{"pipe.timeout", pipe.timeout_seconds}})
    if (auto s = requirePositive(key, value); !s) return s;
  if (pipe.max_message_mb > 1024) return makeError("option 'pipe.max_message_mb': at most 1024");
  if (auto s = readMetricsListen(vm, "pipe.metrics_listen", pipe.metrics_listen); !s) return s;
  return {};
}

}  // namespace

void addPipeOptions(po::options_description& desc) {
  const PipeConfig d;
  desc.add_options()
      ("pipe.bounce_domain", po::value<std::string>()->default_value(""), "domain of VERP return paths and unsubscribe mailto addresses")
      ("pipe.bounce_local_part", po::value<std::string>()->default_value(d.bounce_local_part), "LOCALPART of LOCALPART+TOKEN@bounce_domain")
      ("pipe.inbound_domains", po::value<std::string>()->default_value(""), "comma-separated domains whose mail is stored in inbound_messages")
      ("pipe.soft_bounce_limit", po::value<int>()->default_value(d.soft_bounce_limit), "soft bounces of one address that suppress it ...")
      ("pipe.soft_bounce_days", po::value<int>()->default_value(d.soft_bounce_days), "... within this many days")
      ("pipe.socket", po::value<std::string>()->default_value(d.socket), "unix:/path of waybill-piped --serve; empty: waybill-pipe runs one-shot")
      ("pipe.socket_mode", po::value<std::string>()->default_value("0660"), "octal mode of the socket waybill-piped creates")
      ("pipe.pool_size", po::value<int>()->default_value(d.pool_size), "PostgreSQL connections of waybill-piped")
      ("pipe.max_connections", po::value<int>()->default_value(d.max_connections), "messages waybill-piped takes at once")
      ("pipe.max_message_mb", po::value<int>()->default_value(d.max_message_mb), "message bytes kept; the rest is cut")
      ("pipe.timeout", po::value<int>()->default_value(d.timeout_seconds), "seconds of client silence, and of waiting for the answer");
  addMetricsListenOption(desc, "pipe");
}

Status buildPipe(const po::variables_map& vm, PipeConfig& pipe) {
  pipe.bounce_domain = vm["pipe.bounce_domain"].as<std::string>();
  pipe.bounce_local_part = vm["pipe.bounce_local_part"].as<std::string>();
  pipe.inbound_domains = splitList(vm["pipe.inbound_domains"].as<std::string>());
  pipe.soft_bounce_limit = vm["pipe.soft_bounce_limit"].as<int>();
  pipe.soft_bounce_days = vm["pipe.soft_bounce_days"].as<int>();
  if (auto s = requirePositive("pipe.soft_bounce_limit", pipe.soft_bounce_limit); !s) return s;
  if (auto s = requirePositive("pipe.soft_bounce_days", pipe.soft_bounce_days); !s) return s;
  return buildPipeDaemon(vm, pipe);
}

}  // namespace waybill
