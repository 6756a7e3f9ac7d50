// RefreshingCollectable: a Registry whose gauges are brought up to date just before each scrape
// (list sizes, database state), so no thread polls between scrapes and the hot path only counts.
//
//   auto scraped = std::make_shared<RefreshingCollectable>(registry, [&] { size.Set(feed.size()); });
//   auto server = MetricsServer::start(config.policyd.metrics_listen, scraped);
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/registry.h>

#include <functional>
#include <memory>
#include <vector>

namespace waybill::metrics {

class RefreshingCollectable : public prometheus::Collectable {
 public:
  RefreshingCollectable(std::shared_ptr<prometheus::Registry> registry, std::function<void()> refresh)
      : registry_(std::move(registry)), refresh_(std::move(refresh)) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    if (refresh_) refresh_();
    return registry_->Collect();
  }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::function<void()> refresh_;
};

}  // namespace waybill::metrics
