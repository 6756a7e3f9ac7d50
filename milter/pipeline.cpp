#include "pipeline.h"

#include "log/log.h"

namespace waybill::milter {

StageStatus Pipeline::run(MilterMessage& message, const char** stopped_by) const {
  for (const auto& stage : stages_) {
    StageStatus status = stage->onEndOfMessage(message);
    if (!status.proceeding()) {
      log::info("queue {}: stage {} answered {} {} {}", message.envelope.queue_id, stage->name(),
                status.reply_code, status.enhanced_code, status.text);
      if (stopped_by) *stopped_by = stage->name();
      return status;
    }
  }
  return StageStatus::proceed();
}

}  // namespace waybill::milter
