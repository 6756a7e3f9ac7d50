// SuppressRecipientsStage: enforces the suppression list on every message the milter handles,
// smtpd and sendmail alike (policyd only sees smtpd, and only where Postfix consults it). Each
// suppressed recipient leaves the envelope here, before any per-recipient copy is made, and gets
// a `suppressed` event; a message left with no recipient is refused (SMTP: 550 5.7.1) or, from
// sendmail where nobody could be told, discarded with its events. Never delivered either way.
// The list is the same in-memory index policyd uses (db/suppression_feed.h), kept fresh over
// LISTEN/NOTIFY; while it was never loaded the message is tempfailed (no mail to a suppressed
// recipient slips through a restart).
//
//   SuppressRecipientsStage stage(lookupIn(feed), recordEventsIn(pool));
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "store/connection_pool.h"
#include "store/suppression_feed.h"
#include "milter_message.h"
#include "policy/suppression_index.h"

namespace waybill::milter {

struct SuppressedRecipient {
  std::string recipient;  // as in the envelope
  policy::SuppressionMatch match;
};

// The suppressed recipients of an envelope; nullopt while no list is loaded.
using SuppressionLookup = std::function<std::optional<std::vector<SuppressedRecipient>>(const Envelope&)>;
// Records the `suppressed` events of one message (all or nothing).
using SuppressedEventWriter = std::function<Status(const MilterMessage&, const std::vector<SuppressedRecipient>&)>;

SuppressionLookup lookupIn(const SuppressionFeed& feed);
SuppressedEventWriter recordEventsIn(ConnectionPool& pool);

class SuppressRecipientsStage : public Stage {
 public:
  SuppressRecipientsStage(SuppressionLookup lookup, SuppressedEventWriter record)
      : lookup_(std::move(lookup)), record_(std::move(record)) {}
  const char* name() const override { return "suppress"; }
  StageStatus onEndOfMessage(MilterMessage& message) override;

 private:
  SuppressionLookup lookup_;
  SuppressedEventWriter record_;
};

}  // namespace waybill::milter
