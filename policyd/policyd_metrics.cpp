#include "policyd_metrics.h"

#include "store/database_probe.h"
#include "runtime/metrics_family.h"

#include "policy/suppression.h"

namespace waybill::policyd {
namespace {

// Postfix's access(5) actions a policy service may answer, plus a catch-all (last).
constexpr std::array<std::string_view, 7> kActionWords = {"DUNNO", "OK", "REJECT", "DEFER_IF_PERMIT",
                                                          "DEFER", "DEFER_IF_REJECT", "other"};
constexpr std::array<std::string_view, 7> kActionLabels = {"dunno", "ok", "reject", "defer_if_permit",
                                                           "defer", "defer_if_reject", "other"};

std::size_t actionIndex(std::string_view action) {
  const std::string_view word = action.substr(0, action.find(' '));
  for (std::size_t i = 0; i + 1 < kActionWords.size(); ++i)
    if (word == kActionWords[i]) return i;
  return kActionWords.size() - 1;
}

}  // namespace

std::string_view actionLabel(std::string_view action) { return kActionLabels[actionIndex(action)]; }

PolicydMetrics::PolicydMetrics() : registry_(std::make_shared<prometheus::Registry>()) {
  auto& requests =
      metrics::counterFamily(*registry_, "waybill_policyd_requests_total", "Policy requests answered, by action.");
  for (std::size_t i = 0; i < kActions; ++i) requests_[i] = &requests.Add({{"action", std::string(kActionLabels[i])}});
  auto& suppressed = metrics::counterFamily(*registry_, "waybill_policyd_suppressed_total",
                                            "Recipients refused because they are suppressed, by reason.");
  for (std::size_t i = 0; i < kReasons; ++i)
    suppressed_[i] = &suppressed.Add({{"reason", policy::reasonName(static_cast<policy::SuppressionReason>(i))}});
  metrics::labelledCounters(
      *registry_, "waybill_policyd_released_total",
      "Scheduled messages the scheduler released, or marked failed (gone from the hold queue).", "result",
      {{"released", &released_}, {"failed", &release_failed_}});
  request_seconds_ = &metrics::histogram(
      *registry_, "waybill_policyd_request_seconds", "Time to decide one policy request (socket I/O excluded).",
      prometheus::Histogram::BucketBoundaries{0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01,
                                              0.1});
  suppressions_ =
      &metrics::gauge(*registry_, "waybill_policyd_suppressions", "Entries in the in-memory suppression list.");
  database_up_ = &metrics::addDatabaseUpGauge(*registry_, "policyd", "policyd: the LISTEN connection");
}

void PolicydMetrics::countAnswer(const policy::PolicyDecision& decision, double seconds) {
  requests_[actionIndex(decision.action)]->Increment();
  if (decision.suppressed) {
    const auto reason = static_cast<std::size_t>(decision.suppressed->match.reason);
    if (reason < kReasons) suppressed_[reason]->Increment();
  }
  request_seconds_->Observe(seconds);
}

}  // namespace waybill::policyd
