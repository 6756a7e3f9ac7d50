#include "pipe_metrics.h"

#include "metrics/database_probe.h"

namespace waybill::pipe {

PipeMetrics::PipeMetrics() : registry_(std::make_shared<prometheus::Registry>()) {
  auto& messages = prometheus::BuildCounter()
                       .Name("waybill_pipe_messages_total")
                       .Help("Messages answered by waybill-piped, by result (tempfail: exit 75, Postfix retries).")
                       .Register(*registry_);
  stored_ = &messages.Add({{"result", "stored"}});
  already_stored_ = &messages.Add({{"result", "already_stored"}});
  tempfail_ = &messages.Add({{"result", "tempfail"}});
  refused_ = &prometheus::BuildCounter()
                  .Name("waybill_pipe_busy_total")
                  .Help("Clients told BUSY (pipe.max_connections reached); they ran the one-shot program.")
                  .Register(*registry_)
                  .Add({});
  aborted_ = &prometheus::BuildCounter()
                  .Name("waybill_pipe_aborted_total")
                  .Help("Connections that ended before the end of the message (client died or timed out); nothing stored.")
                  .Register(*registry_)
                  .Add({});
  message_seconds_ = &prometheus::BuildHistogram()
                          .Name("waybill_pipe_store_seconds")
                          .Help("Time to classify and store one message (socket I/O excluded).")
                          .Register(*registry_)
                          .Add({}, prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                                           0.05, 0.1, 0.25, 1, 5});
  in_flight_ = &prometheus::BuildGauge()
                    .Name("waybill_pipe_connections")
                    .Help("Messages being received or stored right now.")
                    .Register(*registry_)
                    .Add({});
  database_up_ = &metrics::addDatabaseUpGauge(*registry_, "pipe", "pipe: SELECT 1 through its pool");
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
