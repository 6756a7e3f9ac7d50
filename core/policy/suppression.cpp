#include "policy/suppression.h"

#include "mail/address.h"
#include "text/name_table.h"

namespace waybill::policy {

namespace {

constexpr NameTable<SuppressionScope, 3> kScopeNames{
    {{{SuppressionScope::Sender, "sender"}, {SuppressionScope::Domain, "domain"}, {SuppressionScope::Global, "global"}}},
    "global"};

// As the `suppressions` table writes them.
constexpr NameTable<SuppressionReason, 5> kReasonNames{{{{SuppressionReason::Unsubscribed, "unsubscribed"},
                                                         {SuppressionReason::HardBounce, "hard_bounce"},
                                                         {SuppressionReason::SoftBounce, "soft_bounce"},
                                                         {SuppressionReason::Complaint, "complaint"},
                                                         {SuppressionReason::Manual, "manual"}}},
                                                       "manual"};

}  // namespace

Result<SuppressionScope> parseSuppressionScope(std::string_view text) { return kScopeNames.parse(text); }
Result<SuppressionReason> parseSuppressionReason(std::string_view text) { return kReasonNames.parse(text); }
const char* scopeName(SuppressionScope scope) { return kScopeNames.nameOf(scope); }
const char* reasonName(SuppressionReason reason) { return kReasonNames.nameOf(reason); }

const char* reasonText(SuppressionReason reason) {
  switch (reason) {
    case SuppressionReason::Unsubscribed: return "unsubscribed";
    case SuppressionReason::HardBounce: return "hard bounce";
    case SuppressionReason::SoftBounce: return "repeated soft bounces";
    case SuppressionReason::Complaint: return "spam complaint";
    case SuppressionReason::Manual: return "suppressed by the operator";
  }
  return "suppressed";
}

SuppressionScope ScopeDefaults::forReason(SuppressionReason reason) const {
  switch (reason) {
    case SuppressionReason::Unsubscribed: return unsubscribed;
    case SuppressionReason::HardBounce: return hard_bounce;
    case SuppressionReason::SoftBounce: return soft_bounce;
    case SuppressionReason::Complaint: return complaint;
    case SuppressionReason::Manual: return manual;
  }
  return manual;
}

std::string scopeValueFor(SuppressionScope scope, std::string_view sender) {
  switch (scope) {
    case SuppressionScope::Sender: return toLower(stripAngles(sender));
    case SuppressionScope::Domain: return domainOf(stripAngles(sender));
    case SuppressionScope::Global: return {};
  }
  return {};
}

}  // namespace waybill::policy
