#include "pipe_metrics.h"

#include "store/database_probe.h"
#include "runtime/metrics_family.h"

namespace waybill::pipe {

PipeMetrics::PipeMetrics() : registry_(std::make_shared<prometheus::Registry>()) {
  metrics::labelledCounters(
      *registry_, "waybill_pipe_messages_total",
      "Messages answered by waybill-piped, by result (tempfail: exit 75, Postfix retries).", "result",
      {{"stored", &stored_}, {"already_stored", &already_stored_}, {"tempfail", &tempfail_}});
  refused_ = &metrics::counter(*registry_, "waybill_pipe_busy_total",
                               "Clients told BUSY (pipe.max_connections reached); they ran the one-shot program.");
  aborted_ = &metrics::counter(
      *registry_, "waybill_pipe_aborted_total",
      "Connections that ended before the end of the message (client died or timed out); nothing stored.");
  message_seconds_ = &metrics::histogram(
      *registry_, "waybill_pipe_store_seconds", "Time to classify and store one message (socket I/O excluded).",
      prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5});
  in_flight_ = &metrics::gauge(*registry_, "waybill_pipe_connections", "Messages being received or stored right now.");
  database_up_ = &metrics::addDatabaseUpGauge(*registry_, "pipe", "pipe: a trivial query through its pool, at each scrape");
}

void PipeMetrics::countMessage(MessageResult result, double seconds) {
  switch (result) {
    case MessageResult::Stored: stored_->Increment(); break;
    case MessageResult::AlreadyStored: already_stored_->Increment(); break;
    case MessageResult::TempFail: tempfail_->Increment(); break;
  }
  message_seconds_->Observe(seconds);
}

}  // namespace waybill::pipe
