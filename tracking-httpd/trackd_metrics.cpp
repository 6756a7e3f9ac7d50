#include "trackd_metrics.h"

#include <fmt/format.h>

namespace waybill::trackd {
namespace {

constexpr const char* kEndpointNames[kEndpointCount] = {
    "open", "click", "unsubscribe_page", "unsubscribe", "health", "metrics", "not_found", "method_not_allowed"};

void counter(std::string& out, const char* name, const char* help, std::uint64_t value) {
  out += fmt::format("# HELP {0} {1}\n# TYPE {0} counter\n{0} {2}\n", name, help, value);
}

void gauge(std::string& out, const char* name, const char* help, std::uint64_t value) {
  out += fmt::format("# HELP {0} {1}\n# TYPE {0} gauge\n{0} {2}\n", name, help, value);
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

std::string TrackdMetrics::render() const {
  std::string out;
  out += "# HELP waybill_trackd_requests_total HTTP requests by endpoint.\n"
         "# TYPE waybill_trackd_requests_total counter\n";
  std::uint64_t invalid = 0;
  std::uint64_t spooled = 0;
  std::uint64_t spool_errors = 0;
  for (std::size_t e = 0; e < kEndpointCount; ++e) {
    std::uint64_t sum = 0;
    for (const auto& w : workers_) sum += w->requests[e].load(std::memory_order_relaxed);
    out += fmt::format("waybill_trackd_requests_total{{endpoint=\"{}\"}} {}\n", kEndpointNames[e], sum);
  }
  for (const auto& w : workers_) {
    invalid += w->invalid_tokens.load(std::memory_order_relaxed);
    spooled += w->events_spooled.load(std::memory_order_relaxed);
    spool_errors += w->spool_errors.load(std::memory_order_relaxed);
  }
  counter(out, "waybill_trackd_invalid_tokens_total", "Requests with a forged, altered or truncated token.", invalid);
  counter(out, "waybill_trackd_events_spooled_total", "Events appended to the local spool.", spooled);
  counter(out, "waybill_trackd_spool_errors_total", "Events that could not be spooled (disk).", spool_errors);
  counter(out, "waybill_trackd_events_written_total", "New events rows written to PostgreSQL.",
          writer_.events_inserted.load());
  counter(out, "waybill_trackd_events_committed_total", "Spooled events committed (new or replayed).",
          writer_.events_committed.load());
  counter(out, "waybill_trackd_events_recovered_total", "Events found in the spool at start (left by an earlier run).",
          writer_.events_recovered.load());
  counter(out, "waybill_trackd_spool_rejected_lines_total", "Damaged spool lines skipped.",
          writer_.rejected_lines.load());
  counter(out, "waybill_trackd_batches_failed_total", "Database batches that failed and will be retried.",
          writer_.batches_failed.load());
  gauge(out, "waybill_trackd_spool_depth", "Events in the spool not yet in PostgreSQL.", spoolDepth());
  gauge(out, "waybill_trackd_database_up", "1 when the last database write succeeded.",
        writer_.database_up.load() ? 1 : 0);
  return out;
}

}  // namespace waybill::trackd
