// ReportJson implementation. Text goes through toValidUtf8: bounces quote arbitrary bytes.
#include "report_json.h"

#include "util/utf8.h"

namespace waybill::pipe {

nlohmann::json resultJson(const dsn::RecipientResult& r) {
  return {{"recipient", toValidUtf8(r.recipient)},
          {"action", r.action},
          {"status", r.status},
          {"replycode", r.reply_code},
          {"reason", r.reason},
          {"hardbounce", r.hard_bounce},
          {"feedbacktype", r.feedback_type},
          {"diagnostic", toValidUtf8(r.diagnostic.substr(0, 1000))},
          {"command", r.smtp_command},
          {"remote_mta", toValidUtf8(r.remote_mta)},
          {"original_recipient", toValidUtf8(r.original_recipient)}};
}

std::string classificationLines(const dsn::BounceReport& report) {
  std::string out;
  for (const dsn::RecipientResult& r : report.results) {
    nlohmann::json line = resultJson(r);
    line["kind"] = dsn::reportKindName(report.kind);
    out += line.dump() + "\n";
  }
  if (report.results.empty()) {
    out += nlohmann::json{{"kind", dsn::reportKindName(report.kind)}, {"recipient", nullptr}}.dump() + "\n";
  }
  return out;
}

nlohmann::json reportJson(const dsn::BounceReport& report) {
  nlohmann::json results = nlohmann::json::array();
  for (const dsn::RecipientResult& r : report.results) results.push_back(resultJson(r));
  return {{"kind", dsn::reportKindName(report.kind)},
          {"reporting_mta", toValidUtf8(report.reporting_mta)},
          {"original_message_id", toValidUtf8(report.original_message_id)},
          {"subject", toValidUtf8(report.subject)},
          {"results", results}};
}

}  // namespace waybill::pipe
