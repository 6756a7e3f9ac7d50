#include "stages/record_message.h"

#include "db/message_store.h"
#include "log/log.h"
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
  accepted.track_mode = trackModeName(message.track_mode);
  accepted.via_smtp = message.envelope.via_smtp;
  accepted.client_address = message.envelope.client_address;
  accepted.size_bytes = message.body_bytes;
  for (std::size_t i = 0; i < message.envelope.recipients.size(); ++i)
    accepted.recipients.push_back({message.recipient_ids.at(i), toValidUtf8(message.envelope.recipients[i])});
  return accepted;
}

}  // namespace

StageStatus RecordMessageStage::onEndOfMessage(MilterMessage& message) {
  while (message.recipient_ids.size() < message.envelope.recipients.size()) message.recipient_ids.push_back(Uuid::random());
  auto lease = pool_.acquire();
  if (!lease) {
    log::error("queue {}: tempfail: cannot record message: {}", message.envelope.queue_id, lease.error());
    return StageStatus::tempFail("Waybill cannot record the message now, try again later");
  }
  if (auto status = recordAccepted(**lease, toAccepted(message)); !status) {
    log::error("queue {}: tempfail: cannot record message: {}", message.envelope.queue_id, status.error());
    return StageStatus::tempFail("Waybill cannot record the message now, try again later");
  }
  log::info("queue {}: recorded message {} for {} recipient(s)", message.envelope.queue_id, message.id.toString(),
            message.envelope.recipients.size());
  return StageStatus::proceed();
}

}  // namespace waybill::milter
