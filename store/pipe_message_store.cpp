#include "store/pipe_message_store.h"

#include "util/uuid.h"

namespace waybill::store {

Result<bool> insertPipeMessage(PgConnection& conn, const PipeMessageRow& row, std::string_view raw) {
  auto rows = conn.execWithBytes(
      "INSERT INTO pipe_messages (id, dedupe_key, queue_id, envelope_sender, envelope_recipient, kind, "
      "recipient_id, classification, raw) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::bytea) "
      "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
      {Uuid::random().toString(), row.dedupe_key, row.queue_id, row.envelope_sender, row.envelope_recipient, row.kind,
       row.recipient_id, row.classification_json},
      raw);
  if (!rows) return makeError(rows.error());
  return rows->rows() == 1;
}

Result<long long> recordSoftBounce(PgConnection& conn, const std::string& address, int days) {
  if (auto ins = conn.exec("INSERT INTO soft_bounces (recipient) VALUES (lower($1))", {address}); !ins) {
    return makeError(ins.error());
  }
  auto rows = conn.exec(
      "SELECT count(*) FROM soft_bounces WHERE recipient = lower($1) "
      "AND occurred_at > now() - make_interval(days => $2::int)",
      {address, std::to_string(days)});
  if (!rows) return makeError(rows.error());
  return std::stoll(std::string(rows->get(0, 0)));
}

Result<bool> insertInbound(PgConnection& conn, const InboundRow& row, std::string_view raw) {
  auto rows = conn.execWithBytes(
      "INSERT INTO inbound_messages (id, queue_id, envelope_sender, envelope_recipient, message_id_header, "
      "from_header, to_header, subject, headers, text_body, html_body, attachments, dedupe_key, raw) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12::jsonb, $13, $14::bytea) "
      "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
      {Uuid::random().toString(), row.queue_id, row.envelope_sender, row.envelope_recipient, row.message_id_header,
       row.from_header, row.to_header, row.subject, row.headers_json, row.text_body, row.html_body,
       row.attachments_json, row.dedupe_key},
      raw);
  if (!rows) return makeError(rows.error());
  return rows->rows() == 1;
}

}  // namespace waybill::store
