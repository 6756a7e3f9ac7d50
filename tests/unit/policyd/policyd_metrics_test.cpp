#include "policyd_metrics.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <string>

namespace waybill::policyd {
namespace {

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
  const std::string text = prometheus::TextSerializer().Serialize(metrics.registry()->Collect());
  EXPECT_NE(text.find("waybill_policyd_requests_total{action=\"dunno\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("waybill_policyd_requests_total{action=\"reject\"} 1"), std::string::npos);
  EXPECT_NE(text.find("waybill_policyd_suppressed_total{reason=\"complaint\"} 1"), std::string::npos);
  EXPECT_NE(text.find("waybill_policyd_released_total{result=\"released\"} 1"), std::string::npos);
  EXPECT_NE(text.find("waybill_policyd_request_seconds_count 2"), std::string::npos);
}

}  // namespace
}  // namespace waybill::policyd
