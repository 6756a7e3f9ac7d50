// ApiMetrics: what waybill-apid exposes on [api] metrics_listen (docs/metrics.md): requests by
// endpoint and HTTP status, their latency, and submissions to Postfix by outcome.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

namespace waybill::apid {

class ApiMetrics {
 public:
  ApiMetrics();
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }
  void countRequest(const std::string& endpoint, int status, double seconds);
  void countSubmission(const std::string& outcome);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& latency_;
  prometheus::Family<prometheus::Counter>& submissions_;
};

}  // namespace waybill::apid
