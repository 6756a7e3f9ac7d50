// ScheduleHoldStage: X-Waybill-Send-At in the future puts the message on hold (milter
// quarantine -> Postfix hold queue) and records when it is due in `scheduled_messages`;
// waybill-policyd's HoldReleaser releases it then. A time in the past, or within a second, sends
// at once; an unreadable time is rejected (5.6.0) rather than guessed. Runs after RecordMessage,
// whose rows it refers to.
#pragma once

#include <chrono>
#include <functional>

#include "store/connection_pool.h"
#include "milter_message.h"

namespace waybill::milter {

class ScheduleHoldStage : public Stage {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  ScheduleHoldStage(ConnectionPool& pool, Clock clock);
  const char* name() const override { return "schedule"; }
  StageStatus onEndOfMessage(MilterMessage& message) override;

 private:
  ConnectionPool& pool_;
  Clock clock_;
  std::string host_;  // queue ids are per Postfix host: the releaser on this host takes them
};

}  // namespace waybill::milter
