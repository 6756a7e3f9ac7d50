// SesNotification implementation. SNS wraps long lines by inserting "!\n " (and sometimes "\n ")
// into the JSON; that is undone before parsing. Results still go through the classifier.
#include "dsn/ses_notification.h"

#include <nlohmann/json.hpp>

#include "dsn/bounce_classifier.h"
#include "dsn/dsn_parser.h"

namespace waybill::dsn {
namespace {

std::string unwrapSnsJson(std::string_view text) {
  std::size_t open = text.find('{');
  std::size_t close = text.rfind('}');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return {};
  std::string json(text.substr(open, close - open + 1));
  std::string out;
  out.reserve(json.size());
  for (std::size_t i = 0; i < json.size(); ++i) {
    if (json[i] == '!' && json.compare(i, 3, "!\n ") == 0) {
      i += 2;
    } else if (json[i] == '\n') {
      if (i + 1 < json.size() && json[i + 1] == ' ') ++i;
    } else {
      out.push_back(json[i]);
    }
  }
  return out;
}

std::string text(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

void finish(RecipientResult& r) {
  r.status = statusFromDiagnostic(r.diagnostic).empty() ? r.status : statusFromDiagnostic(r.diagnostic);
  r.reply_code = findReplyCode(r.diagnostic);
  classifyRecipient(r);
}

}  // namespace

std::optional<BounceReport> readSesNotification(std::string_view body) {
  if (body.find("\"notificationType\"") == std::string_view::npos) return std::nullopt;
  nlohmann::json doc = nlohmann::json::parse(unwrapSnsJson(body), nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return std::nullopt;
  std::string type = text(doc, "notificationType");
  BounceReport report;
  if (type == "Complaint" && doc.contains("complaint")) {
    const nlohmann::json& complaint = doc["complaint"];
    report.kind = ReportKind::Complaint;
    std::string feedback = text(complaint, "complaintFeedbackType");
    for (const nlohmann::json& who : complaint.value("complainedRecipients", nlohmann::json::array())) {
      RecipientResult r;
      r.recipient = text(who, "emailAddress");
      r.action = r.reason = "feedback";
      r.feedback_type = feedback.empty() ? "abuse" : feedback;
      report.results.push_back(std::move(r));
    }
  } else if (type == "Bounce" && doc.contains("bounce")) {
    report.kind = ReportKind::DeliveryStatus;
    for (const nlohmann::json& who : doc["bounce"].value("bouncedRecipients", nlohmann::json::array())) {
      RecipientResult r;
      r.recipient = text(who, "emailAddress");
      r.action = text(who, "action").empty() ? "failed" : text(who, "action");
      r.status = text(who, "status");
      r.diagnostic = text(who, "diagnosticCode");
      finish(r);
      report.results.push_back(std::move(r));
    }
  } else if (type == "Delivery" && doc.contains("delivery")) {
    report.kind = ReportKind::DeliveryStatus;
    const nlohmann::json& delivery = doc["delivery"];
    for (const nlohmann::json& who : delivery.value("recipients", nlohmann::json::array())) {
      RecipientResult r;
      r.recipient = who.is_string() ? who.get<std::string>() : std::string();
      r.action = "delivered";
      r.diagnostic = text(delivery, "smtpResponse");
      finish(r);
      report.results.push_back(std::move(r));
    }
  } else {
    return std::nullopt;
  }
  if (doc.contains("mail")) report.original_message_id = text(doc["mail"], "messageId");
  return report;
}

}  // namespace waybill::dsn
