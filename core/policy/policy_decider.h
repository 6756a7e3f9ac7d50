// PolicyDecider: turns one policy request into Postfix's answer. At RCPT: a suppressed recipient
// is rejected (5.7.1, saying why and since when), then quotas may defer (4.7.1); at END-OF-MESSAGE
// only quotas apply. A message counts once against quotas, at the first state that sees it
// (Postfix's `instance` attribute names the transaction). Pure: the caller holds the locks.
//
//   PolicyDecider decider(quotas);
//   ConnectionState state;                       // one per client connection
//   auto decision = decider.decide(request, loaded ? &index : nullptr, state);
//   write(formatPolicyReply(decision.action));
#pragma once

#include <optional>
#include <string>

#include "policy/policy_request.h"
#include "policy/quota_counter.h"
#include "policy/suppression_index.h"

namespace waybill::policy {

// What policyd records as a `suppressed` event.
struct SuppressedRecipient {
  std::string recipient;
  std::string sender;
  std::string queue_id;
  std::string client_address;
  SuppressionMatch match;
};

struct PolicyDecision {
  std::string action;  // DUNNO | REJECT ... | DEFER_IF_PERMIT ...
  std::optional<SuppressedRecipient> suppressed;
};

// Per-connection memory: Postfix's smtpd keeps one policy connection and runs one transaction
// at a time on it, so remembering the last counted instance is enough to count each message once.
struct ConnectionState {
  std::string counted_instance;
};

// "2026-11-22T04:32:07Z"
std::string formatUtc(std::int64_t unix_seconds);

class PolicyDecider {
 public:
  explicit PolicyDecider(QuotaCounter& quotas) : quotas_(quotas) {}

  // `index` is null while no suppression list was ever loaded: then every RCPT is deferred,
  // because letting a suppressed recipient through cannot be undone and a deferral can.
  PolicyDecision decide(const PolicyRequest& request, const SuppressionIndex* index, ConnectionState& state) const;

 private:
  std::optional<std::string> checkQuota(const PolicyRequest& request, ConnectionState& state) const;
  QuotaCounter& quotas_;
};

}  // namespace waybill::policy
