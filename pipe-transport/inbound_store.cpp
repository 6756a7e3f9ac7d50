// Inbound store: mail for an inbound domain goes to inbound_messages with its envelope, headers,
// first text and HTML bodies, attachment metadata and the raw bytes; the table's trigger sends
// NOTIFY waybill_inbound (sql/migrations/0005_pipe.sql) when the transaction commits.
#include <nlohmann/json.hpp>

#include "dsn/mime_lite.h"
#include "report_json.h"
#include "store/pipe_message_store.h"
#include "stores.h"
#include "util/utf8.h"

namespace waybill::pipe {
namespace {

struct InboundParts {
  std::string text_body;
  std::string html_body;
  nlohmann::json attachments = nlohmann::json::array();
};

bool isAttachment(const dsn::MimeEntity& part) {
  return !part.filename.empty() ||
         toLower(part.header("Content-Disposition")).rfind("attachment", 0) == 0;
}

void collectParts(const dsn::MimeEntity& entity, InboundParts& out) {
  if (!entity.isMultipart() || entity.parts.empty()) {
    if (isAttachment(entity) || (entity.content_type.rfind("text/", 0) != 0)) {
      out.attachments.push_back({{"filename", toValidUtf8(dsn::decodeEncodedWords(entity.filename))},
                                 {"content_type", toValidUtf8(entity.content_type)},
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
  auto fresh = store::insertInbound(conn,
                                    {.queue_id = toValidUtf8(envelope.queue_id),
                                     .envelope_sender = toValidUtf8(envelope.sender),
                                     .envelope_recipient = toValidUtf8(envelope.recipient),
                                     .message_id_header = header("Message-ID"),
                                     .from_header = header("From"),
                                     .to_header = header("To"),
                                     .subject = header("Subject"),
                                     .headers_json = dumpJson(headersJson(root)),
                                     .text_body = parts.text_body,
                                     .html_body = parts.html_body,
                                     .attachments_json = dumpJson(parts.attachments),
                                     .dedupe_key = dedupeKey(envelope, raw)},
                                    raw);
  if (!fresh) return makeError(fresh.error());
  return *fresh ? StoreOutcome::Stored : StoreOutcome::AlreadyStored;
}

}  // namespace waybill::pipe
