#include "policy/policy_decider.h"

#include <fmt/format.h>

#include <ctime>

#include "mail/address.h"
#include "util/utc_time.h"

namespace waybill::policy {
namespace {

std::string describeScope(const SuppressionMatch& match) {
  switch (match.scope) {
    case SuppressionScope::Sender: return fmt::format("for sender {}", match.scope_value);
    case SuppressionScope::Domain: return fmt::format("for sender domain {}", match.scope_value);
    case SuppressionScope::Global: return "for every sender";
  }
  return {};
}

std::string rejectText(const SuppressionMatch& match) {
  return fmt::format("REJECT 5.7.1 Recipient suppressed {}: {} since {}", describeScope(match),
                     reasonText(match.reason), formatUtc(match.since));
}

}  // namespace

std::string formatUtc(std::int64_t unix_seconds) {
  return formatUtcTime(static_cast<std::time_t>(unix_seconds), kRfc3339Utc);
}

std::optional<std::string> PolicyDecider::checkQuota(const PolicyRequest& request, ConnectionState& state) const {
  if (quotas_.empty()) return std::nullopt;
  const std::string_view instance = request.get("instance");
  if (!instance.empty() && instance == state.counted_instance) return std::nullopt;  // counted already
  const std::string sender_domain = domainOf(request.get("sender"));
  if (auto over = quotas_.tryConsume(request.get("sasl_username"), sender_domain))
    return fmt::format("DEFER_IF_PERMIT 4.7.1 Sending quota exceeded: {} ({} reached)", over->rule->describe(),
                       over->subject);
  state.counted_instance = std::string(instance);
  return std::nullopt;
}

PolicyDecision PolicyDecider::decide(const PolicyRequest& request, const SuppressionIndex* index,
                                     ConnectionState& state) const {
  if (request.get("request") != "smtpd_access_policy")
    return {"DEFER_IF_PERMIT 4.3.5 Unknown policy request type", std::nullopt};
  const std::string_view stage = request.get("protocol_state");
  if (stage == "RCPT") {
    if (!index) return {"DEFER_IF_PERMIT 4.7.1 Suppression list not loaded yet, try again later", std::nullopt};
    const std::string_view recipient = request.get("recipient");
    if (auto match = index->match(recipient, request.get("sender"))) {
      SuppressedRecipient event{std::string(recipient), std::string(request.get("sender")),
                                std::string(request.get("queue_id")), std::string(request.get("client_address")),
                                *match};
      return {rejectText(*match), std::move(event)};
    }
  }
  if (stage == "RCPT" || stage == "END-OF-MESSAGE" || stage == "DATA") {
    if (auto deferral = checkQuota(request, state)) return {std::move(*deferral), std::nullopt};
  }
  return {"DUNNO", std::nullopt};
}

}  // namespace waybill::policy
