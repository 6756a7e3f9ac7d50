// TrackdMetrics: counters behind GET /metrics (Prometheus text format). Request counters live in
// one cache-line-aligned slot per worker thread, so the hot path never contends; a scrape sums.
// The same families are served on trackd's own listener (/metrics) and, as a prometheus-cpp
// Collectable, on [trackd] metrics_listen (core/metrics).
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "track/track_route.h"

namespace waybill::trackd {

inline constexpr std::size_t kEndpointCount = 8;  // track::Endpoint values

struct alignas(64) WorkerCounters {
  std::array<std::atomic<std::uint64_t>, kEndpointCount> requests{};
  std::atomic<std::uint64_t> invalid_tokens{0};
  std::atomic<std::uint64_t> events_spooled{0};
  std::atomic<std::uint64_t> spool_errors{0};

  void countRequest(track::Endpoint endpoint) {
    requests[static_cast<std::size_t>(endpoint)].fetch_add(1, std::memory_order_relaxed);
  }
};

struct WriterCounters {
  std::atomic<std::uint64_t> events_recovered{0};  // found in the spool at start (earlier runs)
  std::atomic<std::uint64_t> events_committed{0};  // spooled events now in PostgreSQL (new or replayed)
  std::atomic<std::uint64_t> events_inserted{0};   // new events rows
  std::atomic<std::uint64_t> rejected_lines{0};    // damaged spool lines skipped
  std::atomic<std::uint64_t> batches_failed{0};
  std::atomic<bool> database_up{false};
};

class TrackdMetrics : public prometheus::Collectable {
 public:
  explicit TrackdMetrics(std::size_t workers);
  WorkerCounters& worker(std::size_t index) { return *workers_[index]; }
  WriterCounters& writer() { return writer_; }
  std::uint64_t spoolDepth() const;  // events spooled and not yet in PostgreSQL
  std::vector<prometheus::MetricFamily> Collect() const override;
  std::string render() const;  // Collect() in Prometheus' text format

 private:
  std::vector<std::unique_ptr<WorkerCounters>> workers_;
  WriterCounters writer_;
};

}  // namespace waybill::trackd
