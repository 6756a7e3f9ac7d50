#include "policy/policyd_settings.h"

#include <fmt/format.h>

#include <tuple>

#include "config/option_checks.h"

namespace waybill::policy {

Result<std::vector<QuotaRule>> quotaRules(const PolicydConfig& policyd) {
  return parseRepeatedOption<QuotaRule>("policyd.quota", policyd.quota_lines, parseQuotaRule);
}

Result<ScopeDefaults> scopeDefaults(const PolicydConfig& policyd) {
  ScopeDefaults defaults;
  const SuppressionScopeNames& names = policyd.scope_names;
  const std::tuple<const char*, const std::string*, SuppressionScope*> scopes[] = {
      {"policyd.scope_unsubscribed", &names.unsubscribed, &defaults.unsubscribed},
      {"policyd.scope_hard_bounce", &names.hard_bounce, &defaults.hard_bounce},
      {"policyd.scope_soft_bounce", &names.soft_bounce, &defaults.soft_bounce},
      {"policyd.scope_complaint", &names.complaint, &defaults.complaint},
      {"policyd.scope_manual", &names.manual, &defaults.manual}};
  for (const auto& [key, name, target] : scopes) {
    auto scope = parseSuppressionScope(*name);
    if (!scope) return makeError(fmt::format("option '{}': {}", key, scope.error()));
    *target = *scope;
  }
  return defaults;
}

}  // namespace waybill::policy
