#include "store/message_store.h"

#include <nlohmann/json.hpp>

#include "store/event_writer.h"

namespace waybill {
namespace {

// Data-modifying CTEs run as one statement: atomic without an explicit transaction, one round trip
// and one commit per message. A message already recorded (a retried transaction: its id is derived
// from its content) conflicts on its id, and then nothing else is written either.
// The `accepted` events get fresh ids: the message's id is what makes this statement once-only.
const std::string& insertAcceptedStatement() {
  static const std::string sql = R"SQL(
WITH message AS (
  INSERT INTO messages (id, queue_id, message_id_header, envelope_sender, from_header, subject,
                        tags, track_mode, submitted_via, client_address, size_bytes, metadata)
  SELECT $1::uuid, $2, $3, $4, $5, $6, ARRAY(SELECT jsonb_array_elements_text($7::jsonb)),
         $8, $9, $10, $11::bigint, $14::jsonb
  ON CONFLICT (id) DO NOTHING
  RETURNING id),
rcpt AS (
  INSERT INTO recipients (id, message_id, address, queue_id)
  SELECT (r->>'id')::uuid, message.id, r->>'address', $2
  FROM message, jsonb_array_elements($12::jsonb) AS r
  RETURNING id, address),
accepted AS (
)SQL" + store::insertEventsSql({.columns = "id, type, message_id, recipient_id, recipient, sender, details",
                               .rows = "gen_random_uuid(), 'accepted', (SELECT id FROM message), rcpt.id, rcpt.address, $4, "
                                       "jsonb_build_object('queue_id', $2::text) FROM rcpt"}) + R"SQL(),
tracked AS (
  INSERT INTO message_links (message_id, urls)
  SELECT message.id, ARRAY(SELECT jsonb_array_elements_text($13::jsonb))
  FROM message WHERE jsonb_array_length($13::jsonb) > 0
  ON CONFLICT DO NOTHING)
SELECT count(*) FROM message
)SQL";
  return sql;
}

}  // namespace

Result<bool> recordAccepted(PgConnection& conn, const AcceptedMessage& message) {
  nlohmann::json recipients = nlohmann::json::array();
  for (const auto& r : message.recipients) recipients.push_back({{"id", r.id.toString()}, {"address", r.address}});
  const nlohmann::json tags = message.tags;
  // Invalid UTF-8 in a header must not make the insert throw: replace it.
  const auto dump = [](const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); };
  auto result = conn.execPrepared("waybill_record_accepted", insertAcceptedStatement(), {
      message.id.toString(), message.queue_id, message.message_id_header, message.envelope_sender,
      message.from_header, message.subject, dump(tags), message.track_mode,
      std::string(message.via_smtp ? "smtp" : "sendmail"), message.client_address,
      std::to_string(message.size_bytes), dump(recipients), dump(message.link_urls),
      mail::metadataJson(message.metadata)});
  if (!result) return makeError(result.error());
  return result->rows() == 1 && result->get(0, 0) == "1";
}

Status moveRecipientsToQueue(PgConnection& conn, const std::string& queue_id, const std::vector<Uuid>& recipient_ids) {
  std::string ids = "{";
  for (std::size_t i = 0; i < recipient_ids.size(); ++i) ids += (i ? "," : "") + recipient_ids[i].toString();
  auto moved = conn.exec(
      "UPDATE recipients SET queue_id = $1 WHERE id = ANY($2::uuid[]) AND queue_id IS DISTINCT FROM $1",
      {queue_id, ids + "}"});
  if (!moved) return makeError(moved.error());
  return {};
}

}  // namespace waybill
