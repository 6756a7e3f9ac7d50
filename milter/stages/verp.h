// VerpStage: rewrites the envelope sender of the message's one recipient to
// LOCALPART+TOKEN@BOUNCE-DOMAIN (dsn/verp_address.h), so every bounce, delay and delivery
// report names the recipients row it is about. The bounce domain can differ per sender domain
// (milter.bounce_domains = "example.com=bounces.example.com, ..."), else pipe.bounce_domain.
// The null sender (bounces of our own) stays null; the original sender is in messages.
#pragma once

#include <map>
#include <memory>

#include "milter_message.h"
#include "token/tracking_token.h"

namespace waybill::milter {

class VerpStage : public Stage {
 public:
  // Parses "SENDERDOMAIN=BOUNCEDOMAIN, ..." (milter.bounce_domains).
  static Result<std::map<std::string, std::string>> parseDomainMap(const std::string& text);

  VerpStage(std::shared_ptr<const KeyRing> keys, std::string local_part, std::string default_domain,
            std::map<std::string, std::string> per_sender_domain)
      : codec_(std::move(keys)),
        local_part_(std::move(local_part)),
        default_domain_(std::move(default_domain)),
        per_sender_domain_(std::move(per_sender_domain)) {}
  const char* name() const override { return "verp"; }
  StageStatus onEndOfMessage(MilterMessage& message) override;

 private:
  TokenCodec codec_;
  std::string local_part_;
  std::string default_domain_;
  std::map<std::string, std::string> per_sender_domain_;
};

}  // namespace waybill::milter
