// ControlHeadersStage: reads the X-Waybill-* headers an application may set (track mode, tags, metadata)
// and removes every one of them, so nothing of Waybill's control channel leaves the host.
#pragma once

#include "milter_message.h"

namespace waybill::milter {

class ControlHeadersStage : public Stage {
 public:
  explicit ControlHeadersStage(TrackMode default_mode) : default_mode_(default_mode) {}
  const char* name() const override { return "control-headers"; }
  StageStatus onEndOfMessage(MilterMessage& message) override;

 private:
  TrackMode default_mode_;
};

}  // namespace waybill::milter
