// BounceRecords implementation: the attribution rule, then the rows an attributed result writes.
// Nothing here trusts an address the message claims: consequences use the row's own address.
#include "bounce_records.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "dsn/verp_address.h"
#include "mail/address.h"
#include "mail/smtp_limits.h"
#include "report_json.h"
#include "text/name_table.h"

namespace waybill::pipe {
namespace {

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

constexpr NameTable<TokenState, 3> kTokenStateNames{
    {{{TokenState::Absent, "absent"}, {TokenState::Invalid, "invalid"}, {TokenState::Valid, "valid"}}}, "absent"};

const char* tokenStateName(TokenState state) { return kTokenStateNames.nameOf(state); }

// A Message-ID longer than a header line can hold is not one we wrote.
std::string usableMessageId(std::string_view quoted) {
  std::string bare = stripAngles(quoted);
  return bare.size() <= kMaxHeaderLine ? bare : std::string();
}

EventRecord eventFor(const char* type, const dsn::RecipientResult& r, RecipientRow row) {
  EventRecord e;
  e.type = type;
  e.row = std::move(row);
  nlohmann::json details = resultJson(r);
  details["class"] = r.action == "failed" ? (r.hard_bounce ? "hard" : "soft") : "";
  details["source"] = "pipe";
  e.details_json = dumpJson(details);
  std::string detail = r.reply_code.empty() && r.status.empty() ? r.diagnostic
                                                                 : r.status + " " + r.reason + ": " + r.diagnostic;
  e.status_detail = untrustedText(detail, 1000);
  if (e.type == "complained") e.suppression = policy::SuppressionReason::Complaint;
  if (e.type == "bounced" && r.hard_bounce) e.suppression = policy::SuppressionReason::HardBounce;
  e.soft_bounce = e.type == "bounced" && !r.hard_bounce;
  return e;
}

// Remembers a Message-ID that is not ours, so a forged report naming 1,000 addresses costs one
// lookup, not 1,000.
class NotOursMemo final : public RecipientDirectory {
 public:
  explicit NotOursMemo(RecipientDirectory& inner) : inner_(inner) {}
  Result<std::optional<RecipientRow>> byId(const std::string& id) override { return inner_.byId(id); }
  Result<MessageLookup> byMessageIdAndAddress(const std::string& message_id, const std::string& address) override {
    if (message_id == not_ours_) return MessageLookup{};
    auto found = inner_.byMessageIdAndAddress(message_id, address);
    if (found && !found->message_is_ours) not_ours_ = message_id;
    return found;
  }

 private:
  RecipientDirectory& inner_;
  std::string not_ours_;
};

}  // namespace

const char* unattributedName(Unattributed why) {
  switch (why) {
    case Unattributed::NoAddress: return "no_address";
    case Unattributed::AddressTooLong: return "address_too_long";
    case Unattributed::TokenNamesAnotherRecipient: return "token_names_another_recipient";
    case Unattributed::NoTokenNoMessageId: return "no_token_no_message_id";
    case Unattributed::MessageIdNotOurs: return "message_id_not_ours";
    case Unattributed::NotARecipientOfThatMessage: return "not_a_recipient_of_that_message";
  }
  return "no_address";
}

Result<TokenEvidence> tokenEvidence(const TokenCodec* codec, std::string_view envelope_recipient,
                                    std::string_view bounce_domain, TokenKind expected, RecipientDirectory& directory) {
  TokenEvidence evidence;
  if (codec == nullptr) return evidence;
  const std::string_view local = envelope_recipient.substr(0, envelope_recipient.rfind('@'));
  auto claims = dsn::parseVerpAddress(*codec, envelope_recipient, bounce_domain);
  if (!claims || claims->kind != expected) {
    evidence.state = local.find('+') == std::string_view::npos ? TokenState::Absent : TokenState::Invalid;
    return evidence;
  }
  auto row = directory.byId(claims->recipient_id.toString());
  if (!row) return makeError(row.error());
  if (!*row) {
    evidence.state = TokenState::Invalid;  // signed by us, but the row is gone (pruned)
    return evidence;
  }
  evidence.state = TokenState::Valid;
  evidence.row = std::move(**row);
  return evidence;
}

Result<Attribution> attributeResult(const dsn::RecipientResult& r, const dsn::BounceReport& report,
                                    const TokenEvidence& token, RecipientDirectory& directory) {
  std::vector<std::string> named;   // addresses the result names
  std::vector<std::string> usable;  // ... of them, those that can be an address we sent to
  for (const std::string& address : {r.recipient, r.original_recipient}) {
    if (address.empty()) continue;
    named.push_back(address);
    if (fitsSmtpLimits(address)) usable.push_back(address);
  }
  const bool token_valid = token.state == TokenState::Valid;
  if (token_valid) {
    // The token alone names the row; a result naming someone else must not borrow it.
    if (named.empty()) return Attribution{token.row, {}};
    for (const std::string& address : usable) {
      if (equalsIgnoreCase(address, token.row.address)) return Attribution{token.row, {}};
    }
  }
  if (usable.empty()) return Attribution{{}, named.empty() ? Unattributed::NoAddress : Unattributed::AddressTooLong};
  const std::string message_id = usableMessageId(report.original_message_id);
  if (message_id.empty()) {
    return Attribution{{}, token_valid ? Unattributed::TokenNamesAnotherRecipient : Unattributed::NoTokenNoMessageId};
  }
  bool ours = false;
  for (const std::string& address : usable) {
    auto found = directory.byMessageIdAndAddress(message_id, address);
    if (!found) return makeError(found.error());
    if (found->row) return Attribution{found->row, {}};
    ours |= found->message_is_ours;
  }
  if (token_valid) return Attribution{{}, Unattributed::TokenNamesAnotherRecipient};
  return Attribution{{}, ours ? Unattributed::NotARecipientOfThatMessage : Unattributed::MessageIdNotOurs};
}

Result<BounceRecords> buildBounceRecords(const dsn::BounceReport& report, const TokenEvidence& token,
                                         RecipientDirectory& directory) {
  NotOursMemo memo(directory);
  BounceRecords out;
  out.kind = kindName(report);
  if (token.state == TokenState::Valid) out.token_recipient_id = token.row.recipient_id;
  nlohmann::json classification = reportJson(report);
  classification["token"] = tokenStateName(token.state);
  nlohmann::json& results = classification["results"];
  std::vector<std::string> counted;  // "recipient_id/type" already given an event
  for (std::size_t i = 0; i < report.results.size(); ++i) {
    const dsn::RecipientResult& r = report.results[i];
    const char* type = eventType(r.action);
    if (type == nullptr) continue;
    auto attribution = attributeResult(r, report, token, memo);
    if (!attribution) return makeError(attribution.error());
    if (!attribution->row) {
      results[i]["unattributed"] = unattributedName(attribution->why);
      ++out.unattributed;
      continue;
    }
    results[i]["attributed_to"] = attribution->row->recipient_id;
    // One event of a kind per row and report: a report repeating a recipient counts it once.
    const std::string key = attribution->row->recipient_id + "/" + type;
    if (std::find(counted.begin(), counted.end(), key) != counted.end()) continue;
    counted.push_back(key);
    out.events.push_back(eventFor(type, r, std::move(*attribution->row)));
  }
  classification["unattributed_count"] = out.unattributed;
  out.classification_json = dumpJson(classification);
  return out;
}

UnsubscribeRecord buildUnsubscribeRecord(const TokenEvidence& token) {
  UnsubscribeRecord out;
  out.attributed = token.state == TokenState::Valid;
  out.kind = out.attributed ? "unsubscribe" : "unclassified";
  const nlohmann::json details = {{"source", "pipe"}, {"via", "mailto"}};
  out.details_json = dumpJson(details);
  out.classification_json =
      out.attributed ? out.details_json
                     : dumpJson({{"error", "unsubscribe token missing or invalid"},
                                 {"token", tokenStateName(token.state)},
                                 {"unattributed", token.state == TokenState::Absent ? "no_token" : "invalid_token"}});
  return out;
}

}  // namespace waybill::pipe
