#include "policy/suppression.h"

#include <fmt/format.h>

#include "mail/address.h"

namespace waybill::policy {

Result<SuppressionScope> parseSuppressionScope(std::string_view text) {
  if (text == "sender") return SuppressionScope::Sender;
  if (text == "domain") return SuppressionScope::Domain;
  if (text == "global") return SuppressionScope::Global;
  return makeError(fmt::format("'{}' is not one of sender, domain, global", text));
}

Result<SuppressionReason> parseSuppressionReason(std::string_view text) {
  if (text == "unsubscribed") return SuppressionReason::Unsubscribed;
  if (text == "hard_bounce") return SuppressionReason::HardBounce;
  if (text == "soft_bounce") return SuppressionReason::SoftBounce;
  if (text == "complaint") return SuppressionReason::Complaint;
  if (text == "manual") return SuppressionReason::Manual;
  return makeError(fmt::format("'{}' is not one of unsubscribed, hard_bounce, soft_bounce, complaint, manual", text));
}

const char* scopeName(SuppressionScope scope) {
  switch (scope) {
    case SuppressionScope::Sender: return "sender";
    case SuppressionScope::Domain: return "domain";
    case SuppressionScope::Global: return "global";
  }
  return "global";
}

const char* reasonName(SuppressionReason reason) {
  switch (reason) {
    case SuppressionReason::Unsubscribed: return "unsubscribed";
    case SuppressionReason::HardBounce: return "hard_bounce";
    case SuppressionReason::SoftBounce: return "soft_bounce";
    case SuppressionReason::Complaint: return "complaint";
    case SuppressionReason::Manual: return "manual";
  }
  return "manual";
}

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
