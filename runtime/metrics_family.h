// Declaring the daemons' metrics in one line each: a family (name, help) registered in the
// daemon's registry, or its single unlabelled series. The names and labels are an interface
// (dashboards, alerts, tests): they are written out at each call, never derived.
//
//   auto& messages = metrics::counterFamily(registry, "waybill_pipe_messages_total", "Messages answered.");
//   stored_ = &messages.Add({{"result", "stored"}});
//   busy_ = &metrics::counter(registry, "waybill_pipe_busy_total", "Clients told BUSY.");
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <string>

namespace waybill::metrics {

inline prometheus::Family<prometheus::Counter>& counterFamily(prometheus::Registry& registry, const std::string& name,
                                                              const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry);
}
inline prometheus::Family<prometheus::Gauge>& gaugeFamily(prometheus::Registry& registry, const std::string& name,
                                                          const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry);
}
inline prometheus::Family<prometheus::Histogram>& histogramFamily(prometheus::Registry& registry,
                                                                  const std::string& name, const std::string& help) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(registry);
}

inline prometheus::Counter& counter(prometheus::Registry& registry, const std::string& name, const std::string& help) {
  return counterFamily(registry, name, help).Add({});
}
inline prometheus::Gauge& gauge(prometheus::Registry& registry, const std::string& name, const std::string& help) {
  return gaugeFamily(registry, name, help).Add({});
}
inline prometheus::Histogram& histogram(prometheus::Registry& registry, const std::string& name, const std::string& help,
                                        const prometheus::Histogram::BucketBoundaries& buckets) {
  return histogramFamily(registry, name, help).Add({}, buckets);
}

}  // namespace waybill::metrics
