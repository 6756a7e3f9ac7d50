#include "stages/schedule_hold.h"

#include <fmt/format.h>

#include "runtime/log.h"
#include "runtime/hold_command.h"
#include "policy/policy_decider.h"
#include "policy/send_at.h"
#include "store/schedule_store.h"

namespace waybill::milter {
ScheduleHoldStage::ScheduleHoldStage(ConnectionPool& pool, Clock clock)
    : pool_(pool), clock_(std::move(clock)), host_(policy::localHostName()) {}

StageStatus ScheduleHoldStage::onEndOfMessage(MilterMessage& message) {
  const std::string* header = message.header("X-Waybill-Send-At");
  if (!header) return StageStatus::proceed();
  auto due = policy::parseSendAt(*header);
  if (!due) return StageStatus::reject("X-Waybill-Send-At: " + due.error(), "5.6.0");
  if (*due <= clock_() + std::chrono::seconds(1)) return StageStatus::proceed();  // due now: send at once

  const double due_seconds = std::chrono::duration<double>(due->time_since_epoch()).count();
  const std::string due_text = policy::formatUtc(static_cast<std::int64_t>(due_seconds));
  auto lease = pool_.acquire();
  if (!lease) {
    log::error("queue {}: tempfail: cannot record the schedule: {}", message.envelope.queue_id, lease.error());
    return StageStatus::tempFail("Waybill cannot schedule the message now, try again later");
  }
  auto recorded = store::recordHold(**lease, message.id.toString(), message.envelope.queue_id, host_, due_seconds,
                                    message.envelope.sender, due_text);
  if (!recorded) {
    log::error("queue {}: tempfail: cannot record the schedule: {}", message.envelope.queue_id, recorded.error());
    return StageStatus::tempFail("Waybill cannot schedule the message now, try again later");
  }
  message.quarantine_reason = fmt::format("waybill: scheduled for {}", due_text);
  log::info("queue {}: held until {}", message.envelope.queue_id, due_text);
  return StageStatus::proceed();
}

}  // namespace waybill::milter
