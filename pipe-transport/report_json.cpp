// ReportJson implementation. Every field goes through untrustedText/untrustedAddress, including
// the short ones (action, status, feedback type): a parser may hand any bytes through.
#include "report_json.h"

#include "mail/smtp_limits.h"
#include "util/utf8.h"

namespace waybill::pipe {
namespace {

constexpr std::size_t kShortField = 64;    // action, status, reply code, reason, command, types
constexpr std::size_t kLongField = 1000;   // diagnostic texts, subjects, MTA names

}  // namespace

std::string untrustedText(std::string_view text, std::size_t max) {
  std::string valid = toValidUtf8(text.substr(0, max));
  if (valid.size() <= max) return valid;
  // U+FFFD takes three bytes where the invalid one took one: cut again, at a character boundary.
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(valid[end]) & 0xC0) == 0x80) --end;
  valid.resize(end);
  return valid;
}

std::string untrustedAddress(std::string_view address) { return toValidUtf8(shortenedForDisplay(address)); }

nlohmann::json resultJson(const dsn::RecipientResult& r) {
  return {{"recipient", untrustedAddress(r.recipient)},
          {"action", untrustedText(r.action, kShortField)},
          {"status", untrustedText(r.status, kShortField)},
          {"replycode", untrustedText(r.reply_code, kShortField)},
          {"reason", untrustedText(r.reason, kShortField)},
          {"hardbounce", r.hard_bounce},
          {"feedbacktype", untrustedText(r.feedback_type, kShortField)},
          {"diagnostic", untrustedText(r.diagnostic, kLongField)},
          {"command", untrustedText(r.smtp_command, kShortField)},
          {"remote_mta", untrustedText(r.remote_mta, kLongField)},
          {"original_recipient", untrustedAddress(r.original_recipient)}};
}

std::string classificationLines(const dsn::BounceReport& report) {
  std::string out;
  for (const dsn::RecipientResult& r : report.results) {
    nlohmann::json line = resultJson(r);
    line["kind"] = dsn::reportKindName(report.kind);
    out += dumpJson(line) + "\n";
  }
  if (report.results.empty()) {
    out += dumpJson(nlohmann::json{{"kind", dsn::reportKindName(report.kind)}, {"recipient", nullptr}}) + "\n";
  }
  return out;
}

nlohmann::json reportJson(const dsn::BounceReport& report) {
  nlohmann::json results = nlohmann::json::array();
  for (const dsn::RecipientResult& r : report.results) results.push_back(resultJson(r));
  return {{"kind", dsn::reportKindName(report.kind)},
          {"reporting_mta", untrustedText(report.reporting_mta, kLongField)},
          {"original_message_id", untrustedText(report.original_message_id, kLongField)},
          {"subject", untrustedText(report.subject, kLongField)},
          {"results", results}};
}

std::string dumpJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace waybill::pipe
