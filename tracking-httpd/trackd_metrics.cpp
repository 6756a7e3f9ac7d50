#include "trackd_metrics.h"

#include <prometheus/text_serializer.h>

namespace waybill::trackd {
namespace {

constexpr const char* kEndpointNames[kEndpointCount] = {
    "open", "click", "unsubscribe_page", "unsubscribe", "not_found", "method_not_allowed"};

prometheus::ClientMetric value(prometheus::MetricType type, std::uint64_t number,
                               std::vector<prometheus::ClientMetric::Label> labels = {}) {
  prometheus::ClientMetric metric;
  metric.label = std::move(labels);
  if (type == prometheus::MetricType::Counter) metric.counter.value = static_cast<double>(number);
  else metric.gauge.value = static_cast<double>(number);
  return metric;
}

prometheus::MetricFamily family(const char* name, const char* help, prometheus::MetricType type,
                                std::uint64_t number, std::vector<prometheus::ClientMetric::Label> labels = {}) {
  return {name, help, type, {value(type, number, std::move(labels))}};
}

prometheus::MetricFamily counter(const char* name, const char* help, std::uint64_t number) {
  return family(name, help, prometheus::MetricType::Counter, number);
}

prometheus::MetricFamily gauge(const char* name, const char* help, std::uint64_t number) {
  return family(name, help, prometheus::MetricType::Gauge, number);
}

}  // namespace

TrackdMetrics::TrackdMetrics(std::size_t workers) {
  for (std::size_t i = 0; i < workers; ++i) workers_.push_back(std::make_unique<WorkerCounters>());
}

std::uint64_t TrackdMetrics::spoolDepth() const {
  std::uint64_t spooled = writer_.events_recovered.load();
  for (const auto& w : workers_) spooled += w->events_spooled.load(std::memory_order_relaxed);
  const std::uint64_t done = writer_.events_committed.load() + writer_.rejected_lines.load();
  return spooled > done ? spooled - done : 0;
}

std::vector<prometheus::MetricFamily> TrackdMetrics::Collect() const {
  prometheus::MetricFamily requests{"waybill_trackd_requests_total", "HTTP requests by endpoint.",
                                    prometheus::MetricType::Counter, {}};
  for (std::size_t e = 0; e < kEndpointCount; ++e) {
    std::uint64_t sum = 0;
    for (const auto& w : workers_) sum += w->requests[e].load(std::memory_order_relaxed);
    requests.metric.push_back(value(prometheus::MetricType::Counter, sum, {{"endpoint", kEndpointNames[e]}}));
  }
  std::uint64_t invalid = 0, spooled = 0, spool_errors = 0, opens_dropped = 0, clicks_dropped = 0, limited = 0,
                expired = 0, host_refused = 0;
  for (const auto& w : workers_) {
    invalid += w->invalid_tokens.load(std::memory_order_relaxed);
    spooled += w->events_spooled.load(std::memory_order_relaxed);
    spool_errors += w->spool_errors.load(std::memory_order_relaxed);
    opens_dropped += w->opens_dropped.load(std::memory_order_relaxed);
    clicks_dropped += w->clicks_dropped.load(std::memory_order_relaxed);
    limited += w->rate_limited.load(std::memory_order_relaxed);
    expired += w->clicks_expired.load(std::memory_order_relaxed);
    host_refused += w->clicks_host_refused.load(std::memory_order_relaxed);
  }
  prometheus::MetricFamily dropped{"waybill_trackd_events_dropped_total",
                                   "Events not spooled because the spool was at trackd.spool_max_size.",
                                   prometheus::MetricType::Counter,
                                   {value(prometheus::MetricType::Counter, opens_dropped, {{"type", "opened"}}),
                                    value(prometheus::MetricType::Counter, clicks_dropped, {{"type", "clicked"}})}};
  prometheus::MetricFamily refused_clicks{
      "waybill_trackd_clicks_refused_total", "Clicks answered with a page instead of a redirect.",
      prometheus::MetricType::Counter,
      {value(prometheus::MetricType::Counter, expired, {{"reason", "expired"}}),
       value(prometheus::MetricType::Counter, host_refused, {{"reason", "host_not_allowed"}})}};
  const std::int64_t open_connections = connections_.open.load();
  const std::uint64_t up = writer_.database_up.load() ? 1 : 0;
  return {
      std::move(requests),
      std::move(dropped),
      std::move(refused_clicks),
      counter("waybill_trackd_rate_limited_total", "Requests answered 429 (over trackd.rate_limit).", limited),
      counter("waybill_trackd_connections_refused_total",
              "Connections answered 503 and closed (over trackd.max_connections).", connections_.refused.load()),
      counter("waybill_trackd_accept_errors_total", "Failed accept() calls (e.g. out of file descriptors).",
              connections_.accept_errors.load()),
      gauge("waybill_trackd_connections", "Client connections open now.",
            open_connections > 0 ? static_cast<std::uint64_t>(open_connections) : 0),
      gauge("waybill_trackd_spool_bytes", "Bytes in the spool (limit: trackd.spool_max_size).",
            spool_.load() ? spool_.load()->bytes() : 0),
      counter("waybill_trackd_invalid_tokens_total", "Requests with a forged, altered or truncated token.", invalid),
      counter("waybill_trackd_events_spooled_total", "Events appended to the local spool.", spooled),
      counter("waybill_trackd_spool_errors_total", "Events that could not be spooled (disk).", spool_errors),
      counter("waybill_trackd_events_written_total", "New events rows written to PostgreSQL.",
              writer_.events_inserted.load()),
      counter("waybill_trackd_events_committed_total", "Spooled events committed (new or replayed).",
              writer_.events_committed.load()),
      counter("waybill_trackd_events_recovered_total", "Events found in the spool at start (left by an earlier run).",
              writer_.events_recovered.load()),
      counter("waybill_trackd_spool_rejected_lines_total", "Damaged spool lines skipped.", writer_.rejected_lines.load()),
      counter("waybill_trackd_batches_failed_total", "Database batches that failed and will be retried.",
              writer_.batches_failed.load()),
      gauge("waybill_trackd_spool_depth", "Events in the spool not yet in PostgreSQL.", spoolDepth()),
      gauge("waybill_trackd_database_up", "1 when the last database write succeeded.", up),
      family("waybill_database_up", "1 while the daemon's database connection works (trackd: the last write).",
             prometheus::MetricType::Gauge, up, {{"daemon", "trackd"}}),
  };
}

std::vector<prometheus::MetricFamily> TrackdHealth::Collect() const {
  return {gauge("waybill_trackd_healthy", "1 while trackd answers and spools.", 1),
          gauge("waybill_trackd_database_up", "1 when the last database write succeeded.",
                metrics_->writerUp() ? 1 : 0),
          gauge("waybill_trackd_spool_depth", "Events in the spool not yet in PostgreSQL.", metrics_->spoolDepth())};
}

std::string TrackdMetrics::render() const { return prometheus::TextSerializer().Serialize(Collect()); }

}  // namespace waybill::trackd
