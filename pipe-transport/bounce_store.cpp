// Bounce and unsubscribe stores: the SQL behind bounce_records.h. What a message may change is
// decided there (attribution before consequence); here it is written: the pipe_messages row,
// then for each attributed result its event, the recipient's status and any suppression, whose
// trigger tells policyd. Every text parameter comes out of report_json's sanitizers or a row.
#include "bounce_records.h"
#include "store/delivery_outcome_store.h"
#include "store/event_writer.h"
#include "store/pipe_message_store.h"
#include "store/recipient_store.h"
#include "store/suppression_store.h"
#include "dsn/bounce_reader.h"
#include "policy/policyd_settings.h"
#include "report_json.h"
#include "stores.h"
#include "util/utf8.h"
#include "util/uuid.h"

namespace waybill::pipe {
namespace {

RecipientRow toRow(const store::RecipientRecord& record) {
  return {record.recipient_id, record.message_id, record.address, record.sender};
}

class SqlDirectory final : public RecipientDirectory {
 public:
  explicit SqlDirectory(PgConnection& conn) : conn_(conn) {}

  Result<std::optional<RecipientRow>> byId(const std::string& recipient_id) override {
    auto found = store::recipientById(conn_, recipient_id);
    if (!found) return makeError(found.error());
    if (!*found) return std::optional<RecipientRow>();
    return std::optional<RecipientRow>(toRow(**found));
  }

  Result<MessageLookup> byMessageIdAndAddress(const std::string& message_id, const std::string& address) override {
    auto match = store::recipientByMessageIdAndAddress(conn_, message_id, address);
    if (!match) return makeError(match.error());
    MessageLookup found;
    found.message_is_ours = match->message_is_ours;
    if (match->row) found.row = toRow(*match->row);
    return found;
  }

 private:
  PgConnection& conn_;
};

std::optional<std::string> optional(const std::string& value) { return value.empty() ? std::nullopt : std::optional(value); }

// Records the message itself; false when this delivery was stored before (a retry).
Result<bool> insertPipeMessage(PgConnection& conn, const PipeEnvelope& envelope, std::string_view raw,
                               const std::string& kind, const std::string& recipient_id,
                               const std::string& classification_json) {
  return store::insertPipeMessage(conn,
                                  {.dedupe_key = dedupeKey(envelope, raw),
                                   .queue_id = optional(toValidUtf8(envelope.queue_id)),
                                   .envelope_sender = toValidUtf8(envelope.sender),
                                   .envelope_recipient = toValidUtf8(envelope.recipient),
                                   .kind = kind,
                                   .recipient_id = optional(recipient_id),
                                   .classification_json = classification_json},
                                  raw.substr(0, dsn::kMaxBounceBytes));
}

// The events of bounces get fresh ids: pipe_messages' dedupe key makes each message's once-only.
Status insertEvent(PgConnection& conn, const std::string& type, const RecipientRow& row,
                   const std::string& details_json) {
  return store::writeEvents(conn, {{.type = type,
                                    .message_id = optional(row.message_id),
                                    .recipient_id = optional(row.recipient_id),
                                    .recipient = optional(row.address),
                                    .sender = optional(row.sender),
                                    .details_json = details_json}});
}

// Final states win over transient ones: a late "delayed" never hides a delivery or a bounce.
Status updateRecipientStatus(PgConnection& conn, const EventRecord& e) {
  const char* from = e.type == "bounced"     ? "{accepted,held,deferred,delivered}"
                     : e.type == "delivered" ? "{accepted,held,deferred}"
                     : e.type == "deferred"  ? "{accepted,held,deferred}"
                                             : nullptr;
  if (from == nullptr) return {};
  return store::updateRecipientStatus(conn, e.row.recipient_id, e.type, e.status_detail, from);
}

Status suppress(PgConnection& conn, const RecipientRow& row, policy::SuppressionReason reason, const Config& config,
                const std::string& details_json) {
  policy::SuppressionScope scope = policy::scopeDefaults(config.policyd)->forReason(reason);
  if (row.sender.empty()) scope = policy::SuppressionScope::Global;  // no sender to scope it to
  return store::addSuppression(conn, {.recipient = row.address,
                                     .scope = std::string(policy::scopeName(scope)),
                                     .scope_value = policy::scopeValueFor(scope, row.sender),
                                     .reason = std::string(policy::reasonName(reason)),
                                     .source = "pipe",
                                     .details_json = details_json});
}

// Soft bounces suppress only when they repeat: pipe.soft_bounce_limit within pipe.soft_bounce_days.
Result<bool> softBounceLimitReached(PgConnection& conn, const std::string& address, const PipeConfig& pipe) {
  auto recent = store::recordSoftBounce(conn, address, pipe.soft_bounce_days);
  if (!recent) return makeError(recent.error());
  return *recent >= pipe.soft_bounce_limit;
}

// Postfix's own DSN reports an attempt it also logged: waybill-logd may have stored it already, so
// the final outcome of that queue file is claimed first and the event written only once.
Result<bool> firstReportOfOutcome(PgConnection& conn, const EventRecord& e, const std::string& queue_id) {
  if (!isFinalOutcome(e.type) || queue_id.empty()) return true;
  return claimDeliveryOutcome(conn, e.type, e.row.recipient_id, queue_id, "pipe");
}

Status writeEvent(PgConnection& conn, const EventRecord& e, const std::string& queue_id, const Config& config) {
  auto first = firstReportOfOutcome(conn, e, queue_id);
  if (!first) return makeError(first.error());
  if (*first)
    if (auto s = insertEvent(conn, e.type, e.row, e.details_json); !s) return s;
  if (auto s = updateRecipientStatus(conn, e); !s) return s;
  if (e.suppression) return suppress(conn, e.row, *e.suppression, config, e.details_json);
  if (!e.soft_bounce) return {};
  auto reached = softBounceLimitReached(conn, e.row.address, config.pipe);
  if (!reached) return makeError(reached.error());
  if (!*reached) return {};
  return suppress(conn, e.row, policy::SuppressionReason::SoftBounce, config, e.details_json);
}

}  // namespace

Result<StoreOutcome> storeBounce(PgConnection& conn, const PipeEnvelope& envelope, std::string_view raw,
                                 const Config& config, const TokenCodec* codec) {
  SqlDirectory directory(conn);
  dsn::BounceReport report = dsn::readBounce(raw);
  auto token = tokenEvidence(codec, envelope.recipient, config.pipe.bounce_domain, TokenKind::Bounce, directory);
  if (!token) return makeError(token.error());
  auto records = buildBounceRecords(report, *token, directory);
  if (!records) return makeError(records.error());
  auto fresh = insertPipeMessage(conn, envelope, raw, records->kind, records->token_recipient_id,
                                 records->classification_json);
  if (!fresh) return makeError(fresh.error());
  if (!*fresh) return StoreOutcome::AlreadyStored;
  for (const EventRecord& e : records->events) {
    if (auto s = writeEvent(conn, e, toValidUtf8(report.queue_id), config); !s) return makeError(s.error());
  }
  return StoreOutcome::Stored;
}

Result<StoreOutcome> storeUnsubscribe(PgConnection& conn, const PipeEnvelope& envelope, std::string_view raw,
                                      const Config& config, const TokenCodec* codec) {
  SqlDirectory directory(conn);
  auto token = tokenEvidence(codec, envelope.recipient, config.pipe.bounce_domain, TokenKind::Unsubscribe, directory);
  if (!token) return makeError(token.error());
  const UnsubscribeRecord record = buildUnsubscribeRecord(*token);
  auto fresh = insertPipeMessage(conn, envelope, raw, record.kind, token->row.recipient_id, record.classification_json);
  if (!fresh) return makeError(fresh.error());
  if (!*fresh) return StoreOutcome::AlreadyStored;
  if (!record.attributed) return StoreOutcome::Stored;
  if (auto s = insertEvent(conn, "unsubscribed", token->row, record.details_json); !s) return makeError(s.error());
  if (auto s = suppress(conn, token->row, policy::SuppressionReason::Unsubscribed, config, record.details_json); !s) {
    return makeError(s.error());
  }
  return StoreOutcome::Stored;
}

}  // namespace waybill::pipe
