// StandardHeadersStage: gives every message a Message-ID and a Date when the submitter left
// them out (RFC 5322 requires Date; receivers and our bounce attribution rely on Message-ID).
// It uses "change header 1", not "add": Postfix's cleanup may already have inserted its own
// after the milter saw the headers, and a change replaces it instead of duplicating it.
#pragma once

#include <chrono>
#include <functional>

#include "milter_message.h"

namespace waybill::milter {

class StandardHeadersStage : public Stage {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  StandardHeadersStage(std::string message_id_domain, Clock clock)
      : message_id_domain_(std::move(message_id_domain)), clock_(std::move(clock)) {}
  const char* name() const override { return "standard-headers"; }
  StageStatus onEndOfMessage(MilterMessage& message) override;

 private:
  std::string message_id_domain_;
  Clock clock_;
};

}  // namespace waybill::milter
