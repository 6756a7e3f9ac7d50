// Bounce and unsubscribe stores. Attribution: the VERP token names the recipients row; when it is
// missing or mangled, the returned Message-ID plus Final-/Original-Recipient find it. Every result
// becomes an event (bounced, deferred, delivered, complained); hard bounces, complaints,
// unsubscribes and repeated soft bounces become suppressions, whose trigger tells policyd.
#include <nlohmann/json.hpp>

#include "dsn/bounce_reader.h"
#include "dsn/mime_lite.h"
#include "dsn/verp_address.h"
#include "mail/address.h"
#include "policy/suppression.h"
#include "report_json.h"
#include "stores.h"
#include "util/utf8.h"
#include "util/uuid.h"

namespace waybill::pipe {
namespace {

struct Attribution {
  std::string recipient_id;  // empty when unknown
  std::string message_id;
  std::string address;
  std::string sender;  // envelope sender of the original message
};

constexpr const char* kRecipientById = R"SQL(
SELECT r.id, r.message_id, r.address, m.envelope_sender
FROM recipients r JOIN messages m ON m.id = r.message_id WHERE r.id = $1
)SQL";

constexpr const char* kRecipientByHeaders = R"SQL(
SELECT r.id, r.message_id, r.address, m.envelope_sender
FROM messages m JOIN recipients r ON r.message_id = m.id
WHERE m.message_id_header IN ($1, $2) AND lower(r.address) = lower($3)
ORDER BY m.created_at DESC LIMIT 1
)SQL";

Result<Attribution> readAttribution(Result<PgResult> rows) {
  if (!rows) return makeError(rows.error());
  Attribution a;
  if (rows->rows() == 0) return a;
  a.recipient_id = rows->get(0, 0);
  a.message_id = rows->get(0, 1);
  a.address = rows->get(0, 2);
  a.sender = rows->get(0, 3);
  return a;
}

Result<Attribution> attributeById(PgConnection& conn, const std::string& id) {
  return readAttribution(conn.exec(kRecipientById, {id}));
}

Result<Attribution> attributeByHeaders(PgConnection& conn, const std::string& message_id, const std::string& address) {
  if (message_id.empty() || address.empty()) return Attribution{};
  std::string bare = stripAngles(message_id);
  return readAttribution(conn.exec(kRecipientByHeaders, {bare, "<" + bare + ">", address}));
}

// The token names the recipient the bounce address was made for; a DSN naming several recipients
// (or a different one after forwarding) falls back to the headers for the others.
Result<Attribution> attribute(PgConnection& conn, const dsn::RecipientResult& r, const dsn::BounceReport& report,
                              const Attribution& from_token) {
  if (!from_token.recipient_id.empty()) {
    bool only_result = report.results.size() == 1;
    if (only_result || equalsIgnoreCase(r.recipient, from_token.address) ||
        equalsIgnoreCase(r.original_recipient, from_token.address)) {
      return from_token;
    }
  }
  for (const std::string& address : {r.recipient, r.original_recipient}) {
    auto found = attributeByHeaders(conn, report.original_message_id, address);
    if (!found || !found->recipient_id.empty()) return found;
  }
  return Attribution{};
}

const char* eventType(std::string_view action) {
  if (action == "failed") return "bounced";
  if (action == "delayed") return "deferred";
  if (action == "delivered" || action == "relayed" || action == "expanded") return "delivered";
  if (action == "feedback") return "complained";
  return nullptr;  // auto-replies are recorded in pipe_messages only, never counted
}

const char* kindName(const dsn::BounceReport& report) {
  bool names_anyone = false;
  for (const dsn::RecipientResult& r : report.results) names_anyone |= !r.recipient.empty();
  if (!names_anyone) return "unclassified";  // nothing could be read out of it; kept whole
  switch (report.kind) {
    case dsn::ReportKind::DeliveryStatus: return "dsn";
    case dsn::ReportKind::TextBounce: return "text_bounce";
    case dsn::ReportKind::Complaint: return "complaint";
    case dsn::ReportKind::AutoReply: return "auto_reply";
    case dsn::ReportKind::NotABounce: return "unclassified";
  }
  return "unclassified";
}

PgParam optional(const std::string& value) { return value.empty() ? PgParam{} : PgParam{value}; }

// Records the message itself; false when this delivery was stored before (a retry).
Result<bool> insertPipeMessage(PgConnection& conn, const PipeEnvelope& envelope, std::string_view raw,
                               const char* kind, const std::string& recipient_id, const nlohmann::json& classification) {
  auto rows = execWithBytes(
      conn,
      "INSERT INTO pipe_messages (id, dedupe_key, queue_id, envelope_sender, envelope_recipient, kind, "
      "recipient_id, classification, raw) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::bytea) "
      "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
      {Uuid::random().toString(), dedupeKey(envelope, raw), optional(envelope.queue_id), toValidUtf8(envelope.sender),
       toValidUtf8(envelope.recipient), std::string(kind), optional(recipient_id), classification.dump()},
      raw.substr(0, dsn::kMaxBounceBytes));
  if (!rows) return makeError(rows.error());
  return rows->rows() == 1;
}

Status insertEvent(PgConnection& conn, const char* type, const Attribution& a, const std::string& address,
                   const nlohmann::json& details) {
  auto rows = conn.exec(
      "INSERT INTO events (id, type, message_id, recipient_id, recipient, sender, details) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)",
      {Uuid::random().toString(), std::string(type), optional(a.message_id), optional(a.recipient_id),
       optional(toValidUtf8(address)), optional(a.sender), details.dump()});
  if (!rows) return makeError(rows.error());
  return {};
}

// Final states win over transient ones: a late "delayed" never hides a delivery or a bounce.
Status updateRecipientStatus(PgConnection& conn, const Attribution& a, const char* type, const std::string& detail) {
  if (a.recipient_id.empty()) return {};
  std::string_view t = type;
  const char* from = t == "bounced"     ? "{accepted,held,deferred,delivered}"
                     : t == "delivered" ? "{accepted,held,deferred}"
                     : t == "deferred"  ? "{accepted,held,deferred}"
                                        : nullptr;
  if (from == nullptr) return {};
  auto rows = conn.exec(
      "UPDATE recipients SET status = $2, status_detail = $3, updated_at = now() "
      "WHERE id = $1 AND status = ANY($4::text[])",
      {a.recipient_id, std::string(type), toValidUtf8(detail.substr(0, 1000)), std::string(from)});
  if (!rows) return makeError(rows.error());
  return {};
}

Status suppress(PgConnection& conn, const std::string& address, policy::SuppressionReason reason,
                const Config& config, const std::string& sender, const nlohmann::json& details) {
  if (address.empty()) return {};
  policy::SuppressionScope scope = config.policyd.default_scopes.forReason(reason);
  if (sender.empty()) scope = policy::SuppressionScope::Global;  // no sender to scope it to
  auto rows = conn.exec(
      "INSERT INTO suppressions (recipient, scope, scope_value, reason, source, details) "
      "VALUES (lower($1), $2, $3, $4, 'pipe', $5::jsonb) ON CONFLICT (recipient, scope, scope_value) DO NOTHING",
      {toValidUtf8(address), std::string(policy::scopeName(scope)), policy::scopeValueFor(scope, sender),
       std::string(policy::reasonName(reason)), details.dump()});
  if (!rows) return makeError(rows.error());
  return {};
}

// Soft bounces suppress only when they repeat: pipe.soft_bounce_limit within pipe.soft_bounce_days.
Result<bool> softBounceLimitReached(PgConnection& conn, const std::string& address, const PipeConfig& pipe) {
  if (auto ins = conn.exec("INSERT INTO soft_bounces (recipient) VALUES (lower($1))", {toValidUtf8(address)}); !ins) {
    return makeError(ins.error());
  }
  auto rows = conn.exec(
      "SELECT count(*) FROM soft_bounces WHERE recipient = lower($1) "
      "AND occurred_at > now() - make_interval(days => $2::int)",
      {toValidUtf8(address), std::to_string(pipe.soft_bounce_days)});
  if (!rows) return makeError(rows.error());
  return std::stoi(std::string(rows->get(0, 0))) >= pipe.soft_bounce_limit;
}

Status recordSuppressions(PgConnection& conn, const dsn::RecipientResult& r, const char* type,
                          const std::string& address, const Attribution& a, const Config& config,
                          const nlohmann::json& details) {
  std::string_view t = type;
  if (t == "complained") return suppress(conn, address, policy::SuppressionReason::Complaint, config, a.sender, details);
  if (t != "bounced") return {};
  if (r.hard_bounce) return suppress(conn, address, policy::SuppressionReason::HardBounce, config, a.sender, details);
  auto reached = softBounceLimitReached(conn, address, config.pipe);
  if (!reached) return makeError(reached.error());
  if (!*reached) return {};
  return suppress(conn, address, policy::SuppressionReason::SoftBounce, config, a.sender, details);
}

Status recordResult(PgConnection& conn, const dsn::RecipientResult& r, const dsn::BounceReport& report,
                    const Attribution& from_token, const Config& config) {
  const char* type = eventType(r.action);
  if (type == nullptr) return {};
  auto a = attribute(conn, r, report, from_token);
  if (!a) return makeError(a.error());
  std::string address = !a->address.empty() ? a->address : r.recipient;
  if (address.empty() && a->recipient_id.empty()) return {};  // nothing to attribute it to: kept in pipe_messages
  if (a->sender.empty()) a->sender = firstAddressInHeader(report.original_from);
  nlohmann::json details = resultJson(r);
  details["class"] = r.action == "failed" ? (r.hard_bounce ? "hard" : "soft") : "";
  details["source"] = "pipe";
  if (auto s = insertEvent(conn, type, *a, address, details); !s) return s;
  std::string detail = r.reply_code.empty() && r.status.empty() ? r.diagnostic
                                                                 : r.status + " " + r.reason + ": " + r.diagnostic;
  if (auto s = updateRecipientStatus(conn, *a, type, detail); !s) return s;
  return recordSuppressions(conn, r, type, address, *a, config, details);
}

Result<Attribution> attributionFromToken(PgConnection& conn, const PipeEnvelope& envelope, const Config& config,
                                         const TokenCodec* codec, TokenKind expected) {
  if (codec == nullptr) return Attribution{};
  auto claims = dsn::parseVerpAddress(*codec, envelope.recipient, config.pipe.bounce_domain);
  if (!claims || claims->kind != expected) return Attribution{};
  return attributeById(conn, claims->recipient_id.toString());
}

}  // namespace

Result<StoreOutcome> storeBounce(PgConnection& conn, const PipeEnvelope& envelope, std::string_view raw,
                                 const Config& config, const TokenCodec* codec) {
  dsn::BounceReport report = dsn::readBounce(raw);
  auto from_token = attributionFromToken(conn, envelope, config, codec, TokenKind::Bounce);
  if (!from_token) return makeError(from_token.error());
  auto fresh = insertPipeMessage(conn, envelope, raw, kindName(report), from_token->recipient_id, reportJson(report));
  if (!fresh) return makeError(fresh.error());
  if (!*fresh) return StoreOutcome::AlreadyStored;
  for (const dsn::RecipientResult& r : report.results) {
    if (auto s = recordResult(conn, r, report, *from_token, config); !s) return makeError(s.error());
  }
  return StoreOutcome::Stored;
}

Result<StoreOutcome> storeUnsubscribe(PgConnection& conn, const PipeEnvelope& envelope, std::string_view raw,
                                      const Config& config, const TokenCodec* codec) {
  auto a = attributionFromToken(conn, envelope, config, codec, TokenKind::Unsubscribe);
  if (!a) return makeError(a.error());
  bool known = !a->recipient_id.empty();
  nlohmann::json details = {{"source", "pipe"}, {"via", "mailto"}};
  auto fresh = insertPipeMessage(conn, envelope, raw, known ? "unsubscribe" : "unclassified", a->recipient_id,
                                 known ? details : nlohmann::json{{"error", "unsubscribe token missing or invalid"}});
  if (!fresh) return makeError(fresh.error());
  if (!*fresh) return StoreOutcome::AlreadyStored;
  if (!known) return StoreOutcome::Stored;
  if (auto s = insertEvent(conn, "unsubscribed", *a, a->address, details); !s) return makeError(s.error());
  if (auto s = suppress(conn, a->address, policy::SuppressionReason::Unsubscribed, config, a->sender, details); !s) {
    return makeError(s.error());
  }
  return StoreOutcome::Stored;
}

}  // namespace waybill::pipe
