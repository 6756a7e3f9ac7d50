// PolicydMetrics: what waybill-policyd exposes on [policyd] metrics_listen (docs/metrics.md).
// policyd answers tens of thousands of requests a second, so the answer path only does atomic
// adds on children fetched at start (and one histogram observation); list size and database
// state are read when Prometheus scrapes.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <memory>
#include <optional>
#include <string_view>

#include "policy/policy_decider.h"

namespace waybill::policyd {

// The label for an action: its first word lower-cased when it is one Postfix knows
// ("dunno", "reject", "defer_if_permit", ...), "other" otherwise.
std::string_view actionLabel(std::string_view action);

class PolicydMetrics {
 public:
  PolicydMetrics();
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  void countAnswer(const policy::PolicyDecision& decision, double seconds);
  void countRelease(bool released) { (released ? released_ : release_failed_)->Increment(); }
  prometheus::Gauge& suppressions() { return *suppressions_; }
  prometheus::Gauge& databaseUp() { return *database_up_; }

 private:
  static constexpr std::size_t kActions = 7;
  static constexpr std::size_t kReasons = 5;  // policy::SuppressionReason values

  std::shared_ptr<prometheus::Registry> registry_;
  std::array<prometheus::Counter*, kActions> requests_{};
  std::array<prometheus::Counter*, kReasons> suppressed_{};
  prometheus::Counter* released_;
  prometheus::Counter* release_failed_;
  prometheus::Histogram* request_seconds_;
  prometheus::Gauge* suppressions_;
  prometheus::Gauge* database_up_;
};

}  // namespace waybill::policyd
