// The [policyd] section of waybill-policyd: its socket, quotas, the default suppression scopes
// and the hold-queue scheduler. Quotas and scopes are kept as written; the policy module builds
// its QuotaRule list and ScopeDefaults from them (policy/policyd_settings.h), and loading the
// configuration already refuses a line that module would not accept.
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <vector>

#include "util/result.h"

namespace waybill {

// policyd.scope_*: the default scope name of each suppression reason (sender | domain | global).
struct SuppressionScopeNames {
  std::string unsubscribed = "sender";
  std::string hard_bounce = "global";
  std::string soft_bounce = "global";
  std::string complaint = "global";
  std::string manual = "global";
};

struct PolicydConfig {
  std::string listen = "unix:/run/waybill/policyd.sock";
  std::string metrics_listen;  // Prometheus /metrics on loopback HOST:PORT; empty: off
  int max_connections = 1000;       // Postfix keeps one per smtpd process
  int idle_timeout_seconds = 300;   // as Postfix's smtpd_policy_service_max_idle
  std::vector<std::string> quota_lines;  // policyd.quota, one rule each: see policy/quota_rule.h
  SuppressionScopeNames scope_names;
  std::string postfix_config_dir = "/etc/postfix";
  // Releases/deletes held mail through the package's socket-activated root helper service.
  std::string hold_helper = "/usr/libexec/waybill/waybill-hold-helper --via /run/waybill-hold/helper.sock";
  int schedule_interval_seconds = 1;
};

void addPolicydOptions(boost::program_options::options_description& desc);
Status buildPolicyd(const boost::program_options::variables_map& vm, PolicydConfig& policyd);

}  // namespace waybill
