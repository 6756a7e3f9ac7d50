#include "stages/record_message.h"

#include "store/message_store.h"
#include "runtime/log.h"
#include "util/utf8.h"

namespace waybill::milter {
namespace {

AcceptedMessage toAccepted(const MilterMessage& message) {
  AcceptedMessage accepted;
  accepted.id = message.id;
  accepted.queue_id = message.envelope.queue_id;
  accepted.message_id_header = toValidUtf8(message.message_id_header);
  accepted.envelope_sender = toValidUtf8(message.envelope.sender);
  if (const auto* from = message.header("From")) accepted.from_header = toValidUtf8(*from);
  if (const auto* subject = message.header("Subject")) accepted.subject = toValidUtf8(*subject);
  for (const auto& tag : message.tags) accepted.tags.push_back(toValidUtf8(tag));
  accepted.metadata = message.metadata;  // checked as valid UTF-8 by the control-headers stage
  accepted.track_mode = trackModeName(message.track_mode);
  accepted.via_smtp = message.envelope.via_smtp;
  accepted.client_address = message.envelope.client_address;
  accepted.size_bytes = message.body_bytes;
  for (std::size_t i = 0; i < message.envelope.recipients.size(); ++i)
    accepted.recipients.push_back({message.recipient_ids.at(i), toValidUtf8(message.envelope.recipients[i])});
  accepted.link_urls = message.tracked_urls;
  return accepted;
}

// A retried transaction (an earlier attempt was recorded, then answered with a tempfail) is a new
// queue file: point its recipients there, so waybill-logd finds their delivery lines. Recipients
// split off into copies keep the queue ids of their copies.
Status moveToQueueFile(PgConnection& conn, const MilterMessage& message) {
  if (message.envelope.queue_id.empty() || message.recipient_ids.empty()) return {};
  const std::size_t kept = message.recipients_to_delete.empty() ? message.recipient_ids.size() : 1;
  const std::vector<Uuid> ids(message.recipient_ids.begin(), message.recipient_ids.begin() + static_cast<std::ptrdiff_t>(kept));
  return moveRecipientsToQueue(conn, message.envelope.queue_id, ids);
}

}  // namespace

StageStatus RecordMessageStage::onEndOfMessage(MilterMessage& message) {
  while (message.recipient_ids.size() < message.envelope.recipients.size()) message.recipient_ids.push_back(Uuid::random());
  const AcceptedMessage accepted = toAccepted(message);
  auto recorded = pool_.withConnection([&](PgConnection& conn) { return recordAccepted(conn, accepted); });
  if (!recorded) {
    log::error("queue {}: tempfail: cannot record message: {}", message.envelope.queue_id, recorded.error());
    return StageStatus::tempFail("Waybill cannot record the message now, try again later");
  }
  if (*recorded)
    log::info("queue {}: recorded message {} for {} recipient(s), {} link(s)", message.envelope.queue_id,
              message.id.toString(), message.envelope.recipients.size(), message.tracked_urls.size());
  else {
    log::info("queue {}: message {} was recorded by an earlier attempt", message.envelope.queue_id, message.id.toString());
    if (auto moved = pool_.withConnection([&](PgConnection& conn) { return moveToQueueFile(conn, message); }); !moved) {
      log::error("queue {}: tempfail: cannot record the queue id: {}", message.envelope.queue_id, moved.error());
      return StageStatus::tempFail("Waybill cannot record the message now, try again later");
    }
  }
  return StageStatus::proceed();
}

}  // namespace waybill::milter
