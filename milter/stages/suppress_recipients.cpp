#include "stages/suppress_recipients.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "runtime/log.h"
#include "policy/policy_decider.h"
#include "stages/track_links.h"
#include "store/event_writer.h"
#include "util/sha256.h"
#include "util/utf8.h"
#include "util/uuid.h"

namespace waybill::milter {
namespace {

// The event's id from what names the message across a client's retries, so a retried
// transaction (tempfailed later in the pipeline) does not count the suppression twice.
Uuid eventId(const MilterMessage& message, const std::string& recipient) {
  const std::string basis = "suppressed\n" + retryStableHeaders(message) + message.envelope.sender + "\n" + recipient;
  const Sha256::Digest digest = sha256(basis);
  Uuid id;
  std::copy(digest.begin(), digest.begin() + 16, id.bytes.begin());
  id.bytes[6] = static_cast<std::uint8_t>((id.bytes[6] & 0x0F) | 0x80);  // version 8
  id.bytes[8] = static_cast<std::uint8_t>((id.bytes[8] & 0x3F) | 0x80);
  return id;
}

}  // namespace

SuppressionLookup lookupIn(const SuppressionFeed& feed) {
  return [&feed](const Envelope& envelope) {
    return feed.read([&](const policy::SuppressionIndex* index) -> std::optional<std::vector<SuppressedRecipient>> {
      if (!index) return std::nullopt;
      std::vector<SuppressedRecipient> suppressed;
      for (const auto& recipient : envelope.recipients)
        if (auto match = index->match(recipient, envelope.sender)) suppressed.push_back({recipient, std::move(*match)});
      return suppressed;
    });
  };
}

SuppressedEventWriter recordEventsIn(ConnectionPool& pool) {
  return [&pool](const MilterMessage& message, const std::vector<SuppressedRecipient>& suppressed) -> Status {
    std::vector<store::EventRow> rows;
    for (const auto& [recipient, match] : suppressed) {
      rows.push_back({.id = eventId(message, recipient),
                      .type = "suppressed",
                      .recipient = recipient,
                      .sender = message.envelope.sender,
                      .details = {{"reason", policy::reasonName(match.reason)},
                                  {"scope", policy::scopeName(match.scope)},
                                  {"scope_value", toValidUtf8(match.scope_value)},
                                  {"suppressed_since", policy::formatUtc(match.since)},
                                  {"queue_id", message.envelope.queue_id},
                                  {"client_address", message.envelope.client_address},
                                  {"submitted_via", message.envelope.via_smtp ? "smtp" : "sendmail"},
                                  {"checked_by", "milter"}}});
    }
    // A client's retry of the transaction comes later: same id, new time.
    return pool.withConnection(
        [&](PgConnection& conn) { return store::writeEvents(conn, rows, store::Repeats::WithNewTime); });
  };
}

StageStatus SuppressRecipientsStage::onEndOfMessage(MilterMessage& message) {
  auto suppressed = lookup_(message.envelope);
  if (!suppressed) {
    log::error("queue {}: tempfail: the suppression list is not loaded yet", message.envelope.queue_id);
    return StageStatus::tempFail("Waybill cannot check suppressions now, try again later", "4.3.0");
  }
  if (suppressed->empty()) return StageStatus::proceed();
  if (auto recorded = record_(message, *suppressed); !recorded) {
    log::error("queue {}: tempfail: cannot record suppressed recipients: {}", message.envelope.queue_id, recorded.error());
    return StageStatus::tempFail("Waybill cannot record suppressed recipients now, try again later");
  }
  auto& recipients = message.envelope.recipients;
  for (const auto& [recipient, match] : *suppressed) {
    log::info("queue {}: recipient {} suppressed ({}, {} {}): removed", message.envelope.queue_id, recipient,
              policy::reasonName(match.reason), policy::scopeName(match.scope), match.scope_value);
    recipients.erase(std::find(recipients.begin(), recipients.end(), recipient));
    message.suppressed_recipients.push_back(recipient);
  }
  if (!recipients.empty()) return StageStatus::proceed();
  if (message.envelope.via_smtp) return StageStatus::reject("Every recipient of this message is suppressed", "5.7.1");
  log::info("queue {}: every recipient suppressed: discarded", message.envelope.queue_id);
  return StageStatus::discard("every recipient suppressed");
}

}  // namespace waybill::milter
