// TrackdMetrics: counters behind GET /metrics (Prometheus text format). Request counters live in
// one cache-line-aligned slot per worker thread, so the hot path never contends; a scrape sums.
// Served, as a prometheus-cpp Collectable, only on [trackd] metrics_listen (core/metrics), with
// /healthz beside it (TrackdHealth); the public listener has neither.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "event_spool.h"
#include "track/track_route.h"

namespace waybill::trackd {

inline constexpr std::size_t kEndpointCount = 6;  // track::Endpoint values

struct alignas(64) WorkerCounters {
  std::array<std::atomic<std::uint64_t>, kEndpointCount> requests{};
  std::atomic<std::uint64_t> invalid_tokens{0};
  std::atomic<std::uint64_t> events_spooled{0};
  std::atomic<std::uint64_t> spool_errors{0};
  std::atomic<std::uint64_t> opens_dropped{0};    // spool at trackd.spool_max_size
  std::atomic<std::uint64_t> clicks_dropped{0};   // idem (the reader was still redirected)
  std::atomic<std::uint64_t> rate_limited{0};     // answered 429
  std::atomic<std::uint64_t> clicks_expired{0};   // older than trackd.click_max_age: page, no redirect
  std::atomic<std::uint64_t> clicks_host_refused{0};  // host not in trackd.click_allowed_hosts

  void countRequest(track::Endpoint endpoint) {
    requests[static_cast<std::size_t>(endpoint)].fetch_add(1, std::memory_order_relaxed);
  }
};

// Shared by every worker: connections are counted across the process (trackd.max_connections).
struct ConnectionCounters {
  std::atomic<std::int64_t> open{0};
  std::atomic<std::uint64_t> refused{0};  // over the cap: answered 503 and closed
  std::atomic<std::uint64_t> accept_errors{0};  // accept() failed (out of descriptors and the like)
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
  ConnectionCounters& connections() { return connections_; }
  // The spool whose size the spool_bytes gauge shows (it must outlive the metrics listener).
  void watchSpool(const EventSpool* spool) { spool_.store(spool); }
  std::uint64_t spoolDepth() const;
  bool writerUp() const { return writer_.database_up.load(); }  // events spooled and not yet in PostgreSQL
  std::vector<prometheus::MetricFamily> Collect() const override;
  std::string render() const;  // Collect() in Prometheus' text format

 private:
  std::vector<std::unique_ptr<WorkerCounters>> workers_;
  WriterCounters writer_;
  ConnectionCounters connections_;
  std::atomic<const EventSpool*> spool_{nullptr};
};

// GET /healthz on metrics_listen, in Prometheus' text format like its neighbour: up while trackd
// answers and spools (a database outage is reported, not a failure).
class TrackdHealth : public prometheus::Collectable {
 public:
  explicit TrackdHealth(std::shared_ptr<const TrackdMetrics> metrics) : metrics_(std::move(metrics)) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::shared_ptr<const TrackdMetrics> metrics_;
};

}  // namespace waybill::trackd
