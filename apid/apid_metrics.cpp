#include "apid_metrics.h"

#include "runtime/metrics_family.h"

namespace waybill::apid {

ApiMetrics::ApiMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      requests_(metrics::counterFamily(*registry_, "waybill_api_requests_total", "HTTP requests answered, by endpoint and status.")),
      latency_(metrics::histogramFamily(*registry_, "waybill_api_request_seconds",
                                        "Time from a request read to its answer, by endpoint (Postfix's answer included).")),
      submissions_(metrics::counterFamily(*registry_, "waybill_api_submissions_total",
                                          "Messages handed to Postfix, by outcome: queued, no_recipient, rejected, "
                                          "unavailable, unknown.")) {}

void ApiMetrics::countRequest(const std::string& endpoint, int status, double seconds) {
  requests_.Add({{"endpoint", endpoint}, {"status", std::to_string(status)}}).Increment();
  static const prometheus::Histogram::BucketBoundaries kBuckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  latency_.Add({{"endpoint", endpoint}}, kBuckets).Observe(seconds);
}

void ApiMetrics::countSubmission(const std::string& outcome) { submissions_.Add({{"outcome", outcome}}).Increment(); }

}  // namespace waybill::apid
