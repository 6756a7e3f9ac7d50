// Inbound store: mail for an inbound domain goes to inbound_messages with its envelope, headers,
// first text and HTML bodies, attachment metadata and the raw bytes; the table's trigger sends
// NOTIFY waybill_inbound (sql/migrations/0005_pipe.sql) when the transaction commits.
#include <nlohmann/json.hpp>

#include "dsn/mime_lite.h"
#include "stores.h"
#include "util/utf8.h"
#include "util/uuid.h"

namespace waybill::pipe {
namespace {

struct InboundParts {
  std::string text_body;
  std::string html_body;
  nlohmann::json attachments = nlohmann::json::array();
};

bool isAttachment(const dsn::MimeEntity& part) {
  return !part.filename.empty() ||
         dsn::lowerAscii(part.header("Content-Disposition")).rfind("attachment", 0) == 0;
}

void collectParts(const dsn::MimeEntity& entity, InboundParts& out) {
  if (!entity.isMultipart() || entity.parts.empty()) {
    if (isAttachment(entity) || (entity.content_type.rfind("text/", 0) != 0)) {
      out.attachments.push_back({{"filename", toValidUtf8(dsn::decodeEncodedWords(entity.filename))},
                                 {"content_type", entity.content_type},
                                 {"size", entity.body.size()}});
    } else if (entity.content_type == "text/html" && out.html_body.empty()) {
      out.html_body = toValidUtf8(entity.body);
    } else if (entity.content_type == "text/plain" && out.text_body.empty()) {
      out.text_body = toValidUtf8(entity.body);
    }
    return;
  }
  for (const dsn::MimeEntity& part : entity.parts) collectParts(part, out);
}

nlohmann::json headersJson(const dsn::MimeEntity& root) {
  nlohmann::json headers = nlohmann::json::array();
  for (const dsn::MimeHeader& h : root.headers) headers.push_back({toValidUtf8(h.name), toValidUtf8(h.value)});
  return headers;
}

}  // namespace

Result<StoreOutcome> storeInbound(PgConnection& conn, const PipeEnvelope& envelope, std::string_view raw) {
  dsn::MimeEntity root = dsn::parseMime(dsn::normalizeLineEndings(raw));
  InboundParts parts;
  collectParts(root, parts);
  auto header = [&](const char* name) { return toValidUtf8(dsn::decodeEncodedWords(root.header(name))); };
  auto rows = execWithBytes(
      conn,
      "INSERT INTO inbound_messages (id, queue_id, envelope_sender, envelope_recipient, message_id_header, "
      "from_header, to_header, subject, headers, text_body, html_body, attachments, dedupe_key, raw) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12::jsonb, $13, $14::bytea) "
      "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
      {Uuid::random().toString(), envelope.queue_id, toValidUtf8(envelope.sender), toValidUtf8(envelope.recipient),
       header("Message-ID"), header("From"), header("To"), header("Subject"), headersJson(root).dump(),
       parts.text_body, parts.html_body, parts.attachments.dump(), dedupeKey(envelope, raw)},
      raw);
  if (!rows) return makeError(rows.error());
  return rows->rows() == 1 ? StoreOutcome::Stored : StoreOutcome::AlreadyStored;
}

}  // namespace waybill::pipe
