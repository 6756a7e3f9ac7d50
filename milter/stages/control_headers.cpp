#include "stages/control_headers.h"

#include <set>

#include "mail/address.h"

namespace waybill::milter {

StageStatus ControlHeadersStage::onEndOfMessage(MilterMessage& message) {
  message.track_mode = default_mode_;
  if (const auto* track = message.header("X-Waybill-Track")) {
    auto mode = parseTrackMode(toLower(stripAngles(*track)));
    if (!mode) return StageStatus::reject("X-Waybill-Track: " + mode.error(), "5.6.0");
    message.track_mode = *mode;
  }
  if (const auto* tags = message.header("X-Waybill-Tags")) message.tags = splitList(*tags);
  if (const auto* metadata = message.header("X-Waybill-Metadata")) {
    auto parsed = mail::parseMetadataHeader(*metadata);
    if (!parsed) return StageStatus::reject(parsed.error(), "5.6.0");
    message.metadata = std::move(*parsed);
  }

  std::set<std::string> control_names;
  for (const auto& field : message.headers) {
    const std::string lower = toLower(field.name);
    if (lower.rfind("x-waybill-", 0) == 0) control_names.insert(field.name);
  }
  for (const auto& name : control_names) message.removeAll(name);
  return StageStatus::proceed();
}

}  // namespace waybill::milter
