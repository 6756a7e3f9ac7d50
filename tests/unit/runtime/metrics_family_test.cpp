#include "runtime/metrics_family.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

namespace waybill::metrics {
namespace {

std::string exposition(prometheus::Registry& registry) { return prometheus::TextSerializer().Serialize(registry.Collect()); }

TEST(MetricsFamily, DeclaresWhatTheLongFormDid) {
  prometheus::Registry registry;
  counterFamily(registry, "waybill_test_messages_total", "Messages, by result.").Add({{"result", "stored"}}).Increment();
  counter(registry, "waybill_test_busy_total", "Clients told BUSY.").Increment(2);
  gauge(registry, "waybill_test_connections", "Open now.").Set(3);
  histogram(registry, "waybill_test_seconds", "Time per message.", {0.5, 1}).Observe(0.7);
  const std::string text = exposition(registry);
  EXPECT_NE(text.find("# HELP waybill_test_messages_total Messages, by result."), std::string::npos) << text;
  EXPECT_NE(text.find("waybill_test_messages_total{result=\"stored\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE waybill_test_busy_total counter"), std::string::npos) << text;
  EXPECT_NE(text.find("waybill_test_busy_total 2"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE waybill_test_connections gauge"), std::string::npos) << text;
  EXPECT_NE(text.find("waybill_test_seconds_bucket{le=\"1\"} 1"), std::string::npos) << text;
}

}  // namespace
}  // namespace waybill::metrics
