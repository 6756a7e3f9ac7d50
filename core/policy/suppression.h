// Suppression vocabulary shared by policyd, the CLI and whoever records suppressions (trackd,
// waybill-pipe): scopes, reasons, their names in the `suppressions` table, and the configured
// default scope of each reason.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.h"

namespace waybill::policy {

// Who a suppression protects the recipient from: one sender address, a whole sender domain, or everyone.
enum class SuppressionScope : std::uint8_t { Sender, Domain, Global };
enum class SuppressionReason : std::uint8_t { Unsubscribed, HardBounce, SoftBounce, Complaint, Manual };

Result<SuppressionScope> parseSuppressionScope(std::string_view text);
Result<SuppressionReason> parseSuppressionReason(std::string_view text);
const char* scopeName(SuppressionScope scope);
const char* reasonName(SuppressionReason reason);
// Words for a human reading a bounce: "unsubscribed", "hard bounce", ...
const char* reasonText(SuppressionReason reason);

// The scope a new suppression gets when its recorder does not choose one (configuration:
// unsubscribes per sender address, hard bounces and complaints global by default).
struct ScopeDefaults {
  SuppressionScope unsubscribed = SuppressionScope::Sender;
  SuppressionScope hard_bounce = SuppressionScope::Global;
  SuppressionScope soft_bounce = SuppressionScope::Global;
  SuppressionScope complaint = SuppressionScope::Global;
  SuppressionScope manual = SuppressionScope::Global;

  SuppressionScope forReason(SuppressionReason reason) const;
};

// The scope_value a row needs for a sender: the address, its domain, or "" (lower-cased).
std::string scopeValueFor(SuppressionScope scope, std::string_view sender);

}  // namespace waybill::policy
