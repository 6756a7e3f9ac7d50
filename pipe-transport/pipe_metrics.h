// PipeMetrics: what waybill-piped --serve exposes on [pipe] metrics_listen (docs/metrics.md).
// Children are fetched once at start; the message path only does atomic adds and one
// histogram observation. Database state is read when Prometheus scrapes.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>

namespace waybill::pipe {

enum class MessageResult { Stored, AlreadyStored, TempFail };

class PipeMetrics {
 public:
  PipeMetrics();
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  void countMessage(MessageResult result, double seconds);
  void countRefused() { refused_->Increment(); }
  void countAborted() { aborted_->Increment(); }
  prometheus::Gauge& inFlight() { return *in_flight_; }
  prometheus::Gauge& databaseUp() { return *database_up_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Counter* stored_;
  prometheus::Counter* already_stored_;
  prometheus::Counter* tempfail_;
  prometheus::Counter* refused_;
  prometheus::Counter* aborted_;
  prometheus::Histogram* message_seconds_;
  prometheus::Gauge* in_flight_;
  prometheus::Gauge* database_up_;
};

}  // namespace waybill::pipe
