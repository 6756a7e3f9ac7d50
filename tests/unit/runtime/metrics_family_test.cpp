#include "runtime/metrics_family.h"

#include <gtest/gtest.h>

#include "../../support/metrics_test_support.h"

namespace waybill::metrics {
namespace {

using test_support::expectInScrape;
using test_support::scrape;

TEST(MetricsFamily, DeclaresWhatTheLongFormDid) {
  prometheus::Registry registry;
  counterFamily(registry, "waybill_test_messages_total", "Messages, by result.").Add({{"result", "stored"}}).Increment();
  counter(registry, "waybill_test_busy_total", "Clients told BUSY.").Increment(2);
  gauge(registry, "waybill_test_connections", "Open now.").Set(3);
  histogram(registry, "waybill_test_seconds", "Time per message.", {0.5, 1}).Observe(0.7);
  const std::string text = scrape(registry);
  expectInScrape(text, {"# HELP waybill_test_messages_total Messages, by result.",
                        "waybill_test_messages_total{result=\"stored\"} 1",
                        "# TYPE waybill_test_busy_total counter",
                        "waybill_test_busy_total 2",
                        "# TYPE waybill_test_connections gauge",
                        "waybill_test_seconds_bucket{le=\"1\"} 1"});
}

TEST(MetricsFamily, LabelledCountersFillEachPointer) {
  prometheus::Registry registry;
  prometheus::Counter* stored = nullptr;
  prometheus::Counter* tempfail = nullptr;
  labelledCounters(registry, "waybill_test_results_total", "Messages, by result.", "result",
                   {{"stored", &stored}, {"tempfail", &tempfail}});
  ASSERT_NE(stored, nullptr);
  ASSERT_NE(tempfail, nullptr);
  stored->Increment(2);
  expectInScrape(scrape(registry), {"waybill_test_results_total{result=\"stored\"} 2",
                                    "waybill_test_results_total{result=\"tempfail\"} 0"});
}

}  // namespace
}  // namespace waybill::metrics
