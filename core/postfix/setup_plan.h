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
inline constexpr const char* kPostlogService = "postlog unix-dgram n - n - 1 postlogd";

struct SetupInputs {
  std::string config_dir;       // the Postfix instance (where the transport map goes too)
  std::string milter_socket;    // milter.socket, libmilter syntax
  std::string policy_listen;    // policyd.listen
  std::string bounce_domain;    // pipe.bounce_domain
  std::vector<std::string> inbound_domains;
  std::string pipe_binary;      // absolute path of waybill-pipe
  std::string waybill_config;   // absolute path of waybill.conf, passed to waybill-pipe
  std::string copy_listener;    // milter.copy_listener (HOST:PORT); empty: copies go through sendmail
  std::string log_file;         // logd.log_file: what waybill-logd reads; empty: leave logging alone
  bool host_has_syslog = true;  // a syslog daemon listens on /dev/log and writes log_file
};

struct PostfixState {
  std::map<std::string, std::string> params;  // raw (unexpanded) values; absent: unknown to postconf
  std::set<std::string> explicit_params;      // names main.cf sets (postconf -n)
  std::string relay_restrictions_expanded;    // postconf -x smtpd_relay_restrictions
  std::string pipe_service;                   // postconf -M waybill-pipe/unix; empty: none
  std::string copy_service;                   // postconf -M HOST:PORT/inet of the copy listener
  std::string transport_map_text;             // current DIR/waybill_transport; empty: none
  std::string postlog_service;                // postconf -M postlog/unix-dgram; empty: none
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
  std::string postlog_entry;       // master.cf postlog service to add (maillog_file needs it); empty: none
  std::vector<std::string> notes;  // things the operator should know (printed, not errors)
  std::string copy_service_name;   // "HOST:PORT/inet" when milter.copy_listener is set
  std::string copy_service_entry;  // master.cf entry to write; empty: already right (or none)
  bool copy_service_exists = false;

  bool empty() const {
    return service_entry.empty() && copy_service_entry.empty() && transport_map_text.empty() && params.empty() &&
           postlog_entry.empty();
  }
};

// main.cf parameters the plan looks at (postconf -c DIR prints them as NAME = VALUE).
std::vector<std::string> parametersToRead();

// "inet:8891@127.0.0.1" -> "inet:127.0.0.1:8891", "unix:/run/x.sock" -> "unix:/run/x.sock"; a
// socket inside queue_directory is named relative to it ("unix:waybill/milter.sock"), which a
// chrooted smtpd can reach.
Result<std::string> postfixMilterAddress(std::string_view libmilter_socket, std::string_view queue_directory = "");
// "127.0.0.1:10040" -> "inet:127.0.0.1:10040", "unix:/run/p.sock" -> "unix:/run/p.sock"; inside
// queue_directory relative to it ("unix:private/waybill-policy").
Result<std::string> postfixPolicyAddress(std::string_view listen, std::string_view queue_directory = "");

// The master.cf entry of the smtpd that takes waybill-milter's per-recipient copies: loopback
// clients only, none of the client's restrictions (the original passed them, policyd included:
// quotas count each recipient once), the milters of main.cf's smtpd_milters (so each copy is
// signed and recorded).
std::string copyListenerEntry(const std::string& listen);

Result<SetupPlan> planPostfixSetup(const SetupInputs& inputs, const PostfixState& state);

}  // namespace waybill::postfix
