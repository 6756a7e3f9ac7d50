#include "pipeline.h"

#include <algorithm>

#include "runtime/log.h"
#include "mail/address.h"

namespace waybill::milter {

bool Pipeline::passesThrough(const MilterMessage& message) const {
  const auto& recipients = message.envelope.recipients;
  return !pass_through_.empty() && !recipients.empty() && std::all_of(recipients.begin(), recipients.end(), [&](const std::string& r) {
    return pass_through_.contains(toLower(domainOf(r)));
  });
}

bool Pipeline::trusts(const Envelope& envelope) const {
  return !trusted_networks_ || !envelope.authenticated_as.empty() || !envelope.via_smtp ||
         trusted_networks_->contains(envelope.client_address);
}

StageStatus Pipeline::run(MilterMessage& message, const char** stopped_by) const {
  if (!trusts(message.envelope)) {
    log::debug("queue {}: client {} ({}) is not a trusted submitter: passed through untouched", message.envelope.queue_id,
              message.envelope.client_address.empty() ? "unknown" : message.envelope.client_address,
              message.envelope.daemon_name);
    return StageStatus::proceed();
  }
  if (passesThrough(message)) {
    log::debug("queue {}: for waybill-pipe only, passed through untouched", message.envelope.queue_id);
    return StageStatus::proceed();
  }
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
