#include "config/policyd_options.h"

#include "config/option_checks.h"
#include "policy/policyd_settings.h"

namespace waybill {

void addPolicydOptions(po::options_description& desc) {
  const PolicydConfig d;
  desc.add_options()
      ("policyd.listen", po::value<std::string>()->default_value(d.listen), "127.0.0.1:PORT or unix:/path")
      ("policyd.max_connections", po::value<int>()->default_value(d.max_connections), "concurrent policy clients")
      ("policyd.idle_timeout", po::value<int>()->default_value(d.idle_timeout_seconds), "seconds before an idle client is dropped")
      ("policyd.quota", po::value<std::vector<std::string>>()->composing(), "repeatable: 'sasl:USER|* LIMIT/minute|hour|day|Ns' or 'domain:DOMAIN|* ...'")
      ("policyd.scope_unsubscribed", po::value<std::string>()->default_value(d.scope_names.unsubscribed), "default scope of unsubscribes: sender | domain | global")
      ("policyd.scope_hard_bounce", po::value<std::string>()->default_value(d.scope_names.hard_bounce), "default scope of hard bounces")
      ("policyd.scope_soft_bounce", po::value<std::string>()->default_value(d.scope_names.soft_bounce), "default scope of soft-bounce suppressions")
      ("policyd.scope_complaint", po::value<std::string>()->default_value(d.scope_names.complaint), "default scope of complaints")
      ("policyd.scope_manual", po::value<std::string>()->default_value(d.scope_names.manual), "default scope of manual suppressions")
      ("policyd.postfix_config_dir", po::value<std::string>()->default_value(d.postfix_config_dir), "Postfix instance whose hold queue the scheduler releases")
      ("policyd.hold_helper", po::value<std::string>()->default_value(d.hold_helper), "command that runs 'release|delete QUEUE_ID' on held mail (see README)")
      ("policyd.schedule_interval", po::value<int>()->default_value(d.schedule_interval_seconds), "seconds between scheduler runs");
  addMetricsListenOption(desc, "policyd");
}

Status buildPolicyd(const po::variables_map& vm, PolicydConfig& policyd) {
  policyd.listen = vm["policyd.listen"].as<std::string>();
  if (auto s = readMetricsListen(vm, "policyd.metrics_listen", policyd.metrics_listen); !s) return s;
  policyd.max_connections = vm["policyd.max_connections"].as<int>();
  policyd.idle_timeout_seconds = vm["policyd.idle_timeout"].as<int>();
  policyd.schedule_interval_seconds = vm["policyd.schedule_interval"].as<int>();
  for (const char* key : {"policyd.max_connections", "policyd.idle_timeout", "policyd.schedule_interval"})
    if (auto s = requirePositive(key, vm[key].as<int>()); !s) return s;
  policyd.quota_lines =
      vm.count("policyd.quota") ? vm["policyd.quota"].as<std::vector<std::string>>() : std::vector<std::string>();
  policyd.scope_names = {vm["policyd.scope_unsubscribed"].as<std::string>(), vm["policyd.scope_hard_bounce"].as<std::string>(),
                         vm["policyd.scope_soft_bounce"].as<std::string>(), vm["policyd.scope_complaint"].as<std::string>(),
                         vm["policyd.scope_manual"].as<std::string>()};
  // Refused when the configuration is loaded, not when policyd first needs them.
  if (auto rules = policy::quotaRules(policyd); !rules) return makeError(rules.error());
  if (auto scopes = policy::scopeDefaults(policyd); !scopes) return makeError(scopes.error());
  policyd.postfix_config_dir = vm["policyd.postfix_config_dir"].as<std::string>();
  policyd.hold_helper = vm["policyd.hold_helper"].as<std::string>();
  return {};
}

}  // namespace waybill
