// The [pipe] section of waybill-pipe and waybill-piped: the domains Postfix hands them (see
// postfix-conf/), when soft bounces suppress, and the resident store behind the thin client.
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <vector>

#include "util/result.h"

namespace waybill {

struct PipeConfig {
  std::string bounce_domain;                 // VERP return paths and the unsubscribe mailto live here
  std::string bounce_local_part = "bounce";  // LOCALPART of LOCALPART+TOKEN@bounce_domain
  std::vector<std::string> inbound_domains;  // other mail for these is stored in inbound_messages
  int soft_bounce_limit = 5;                 // this many soft bounces of one address ...
  int soft_bounce_days = 7;                  // ... within this many days suppress it
  // waybill-piped --serve (pipe-transport/README.md): the resident store behind the thin waybill-pipe.
  std::string socket = "unix:/run/waybill/pipe.sock";  // empty: waybill-pipe always runs one-shot
  int socket_mode = 0660;           // only the waybill user/group (Postfix's pipe user=) may connect
  int pool_size = 4;                // PostgreSQL connections kept open
  int max_connections = 32;         // messages in flight; more are told to run one-shot
  int max_message_mb = 64;          // larger input is cut here (one-shot and daemon alike)
  int timeout_seconds = 60;         // client silence, and the client's wait for the answer
  std::string metrics_listen;       // Prometheus /metrics on loopback HOST:PORT; empty: off
};

void addPipeOptions(boost::program_options::options_description& desc);
Status buildPipe(const boost::program_options::variables_map& vm, PipeConfig& pipe);

}  // namespace waybill
