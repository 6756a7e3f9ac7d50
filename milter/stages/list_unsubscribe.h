// ListUnsubscribeStage: gives the message's one recipient (after the per-recipient split of
// track_links.h) its own List-Unsubscribe — the https one-click URL (RFC 8058) and the mailto
// address (RFC 2369) — plus List-Unsubscribe-Post. Skipped for `X-Waybill-Unsubscribe: off`
// (transactional mail) and when the application set its own List-Unsubscribe (never two).
#pragma once

#include <memory>

#include "milter_message.h"
#include "token/tracking_token.h"

namespace waybill::milter {

struct ListUnsubscribeSettings {
  std::string base_url;       // tracking.base_url; empty: no https URI
  std::string bounce_domain;  // pipe.bounce_domain; empty: no mailto URI
};

class ListUnsubscribeStage : public Stage {
 public:
  ListUnsubscribeStage(std::shared_ptr<const KeyRing> keys, ListUnsubscribeSettings settings)
      : codec_(std::move(keys)), settings_(std::move(settings)) {}
  const char* name() const override { return "list-unsubscribe"; }
  StageStatus onEndOfMessage(MilterMessage& message) override;

 private:
  TokenCodec codec_;
  ListUnsubscribeSettings settings_;
};

}  // namespace waybill::milter
