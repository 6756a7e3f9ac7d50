// What `waybill postfix-setup` changes in a Postfix instance, computed from what postconf reports
// (pure: no files, no processes). The CLI reads the state, prints or applies the plan.
//
//   PostfixState state = ...;                 // postconf -c DIR NAMES..., -M waybill-pipe/unix
//   auto plan = planPostfixSetup(inputs, state);
//   if (plan && plan->empty()) ...            // already set up: nothing to write
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "util/result.h"

namespace waybill::postfix {

inline constexpr const char* kPipeService = "waybill-pipe";

struct SetupInputs {
  std::string config_dir;       // the Postfix instance (where the transport map goes too)
  std::string milter_socket;    // milter.socket, libmilter syntax
  std::string policy_listen;    // policyd.listen
  std::string bounce_domain;    // pipe.bounce_domain
  std::vector<std::string> inbound_domains;
  std::string pipe_binary;      // absolute path of waybill-pipe
  std::string waybill_config;   // absolute path of waybill.conf, passed to waybill-pipe
};

struct PostfixState {
  std::map<std::string, std::string> params;  // raw (unexpanded) values; absent: unknown to postconf
  std::set<std::string> explicit_params;      // names main.cf sets (postconf -n)
  std::string relay_restrictions_expanded;    // postconf -x smtpd_relay_restrictions
  std::string pipe_service;                   // postconf -M waybill-pipe/unix; empty: none
  std::string transport_map_text;             // current DIR/waybill_transport; empty: none
};

struct ParamChange {
  std::string name;
  std::string old_value;
  std::string new_value;
};

struct SetupPlan {
  std::string service_entry;   // master.cf line to write; empty: already right
  bool service_exists = false;
  std::string transport_map_path;
  std::string transport_map_text;  // file to write; empty: already right (or no domains)
  std::vector<ParamChange> params;
  std::vector<std::string> notes;  // things the operator should know (printed, not errors)

  bool empty() const { return service_entry.empty() && transport_map_text.empty() && params.empty(); }
};

// main.cf parameters the plan looks at (postconf -c DIR prints them as NAME = VALUE).
std::vector<std::string> parametersToRead();

// "inet:8891@127.0.0.1" -> "inet:127.0.0.1:8891", "unix:/run/x.sock" -> "unix:/run/x.sock"; a
// socket inside queue_directory is named relative to it ("unix:waybill/milter.sock"), which a
// chrooted smtpd can reach.
Result<std::string> postfixMilterAddress(std::string_view libmilter_socket, std::string_view queue_directory = "");
// "127.0.0.1:10040" -> "inet:127.0.0.1:10040", "unix:/run/p.sock" -> "unix:/run/p.sock".
Result<std::string> postfixPolicyAddress(std::string_view listen);

Result<SetupPlan> planPostfixSetup(const SetupInputs& inputs, const PostfixState& state);

}  // namespace waybill::postfix
