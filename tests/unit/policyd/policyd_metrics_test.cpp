#include "policyd_metrics.h"

#include <gtest/gtest.h>

#include <string>

#include "../../support/metrics_test_support.h"

namespace waybill::policyd {
namespace {

using test_support::expectInScrape;

TEST(PolicydMetrics, ActionLabelIsTheFirstWordOfKnownActions) {
  EXPECT_EQ(actionLabel("DUNNO"), "dunno");
  EXPECT_EQ(actionLabel("REJECT 5.7.1 suppressed"), "reject");
  EXPECT_EQ(actionLabel("DEFER_IF_PERMIT 4.7.1 quota"), "defer_if_permit");
  EXPECT_EQ(actionLabel("DEFER_IF_REJECT x"), "defer_if_reject");
  EXPECT_EQ(actionLabel("REJECTED"), "other");
  EXPECT_EQ(actionLabel(""), "other");
}

TEST(PolicydMetrics, AnswersCountByActionAndSuppressionsByReason) {
  PolicydMetrics metrics;
  metrics.countAnswer({"DUNNO", std::nullopt}, 0.00001);
  policy::SuppressedRecipient suppressed;
  suppressed.match.reason = policy::SuppressionReason::Complaint;
  metrics.countAnswer({"REJECT 5.7.1 no", suppressed}, 0.00002);
  metrics.countRelease(true);
  const std::string text = test_support::scrape(*metrics.registry());
  expectInScrape(text, {"waybill_policyd_requests_total{action=\"dunno\"} 1",
                        "waybill_policyd_requests_total{action=\"reject\"} 1",
                        "waybill_policyd_suppressed_total{reason=\"complaint\"} 1",
                        "waybill_policyd_released_total{result=\"released\"} 1",
                        "waybill_policyd_request_seconds_count 2"});
}

}  // namespace
}  // namespace waybill::policyd
