// The policy module's values built from the [policyd] section as written: the quota rules and
// the default suppression scope of each reason. Loading the configuration runs these too, so on
// a loaded Config they always succeed.
//
//   policy::QuotaCounter quotas(policy::quotaRules(config.policyd).value(), clock);
//   auto scope = policy::scopeDefaults(config.policyd)->forReason(reason);
#pragma once

#include <vector>

#include "config/policyd_options.h"
#include "policy/quota_rule.h"
#include "policy/suppression.h"
#include "util/result.h"

namespace waybill::policy {

// Errors name the option: "option 'policyd.quota': ...".
Result<std::vector<QuotaRule>> quotaRules(const PolicydConfig& policyd);
Result<ScopeDefaults> scopeDefaults(const PolicydConfig& policyd);

}  // namespace waybill::policy
