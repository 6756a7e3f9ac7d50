// Declaring the daemons' metrics in one line each: a family (name, help) registered in the
// daemon's registry, or its single unlabelled series. The names and labels are an interface
// (dashboards, alerts, tests): they are written out at each call, never derived.
//
//   auto& messages = metrics::counterFamily(registry, "waybill_pipe_messages_total", "Messages answered.");
//   stored_ = &messages.Add({{"result", "stored"}});
//   busy_ = &metrics::counter(registry, "waybill_pipe_busy_total", "Clients told BUSY.");
//   metrics::counters(registry, {{&busy_, "waybill_pipe_busy_total", "Clients told BUSY."}, ...});
//   metrics::labelledCounters(registry, "waybill_logd_events_total", "Events stored.", "type",
//                             {{"delivered", &delivered_}, {"bounced", &bounced_}});
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <initializer_list>
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

// One series of a counter family, for labelledCounters: the label's value and where the counter goes.
struct LabelledCounter {
  const char* value;
  prometheus::Counter** counter;
};

// A counter family whose series, one per value of `label`, are all known at start.
inline prometheus::Family<prometheus::Counter>& labelledCounters(prometheus::Registry& registry, const std::string& name,
                                                                 const std::string& help, const std::string& label,
                                                                 std::initializer_list<LabelledCounter> series) {
  auto& family = counterFamily(registry, name, help);
  for (const auto& [value, counter] : series) *counter = &family.Add({{label, value}});
  return family;
}

// An unlabelled counter of a table of them, for counters: where it goes, its name and help.
struct NamedCounter {
  prometheus::Counter** counter;
  const char* name;
  const char* help;
};

// Several unlabelled counters, declared as one table.
inline void counters(prometheus::Registry& registry, std::initializer_list<NamedCounter> table) {
  for (const auto& [into, name, help] : table) *into = &counter(registry, name, help);
}

}  // namespace waybill::metrics
