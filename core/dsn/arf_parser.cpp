// ArfParser implementation. Recipients come from Original-Rcpt-To (several allowed), else
// Removal-Recipient, else the returned message's To header.
#include "dsn/arf_parser.h"

#include "dsn/dsn_parser.h"

namespace waybill::dsn {

namespace {

// A block of "Name: value" fields that includes Feedback-Type plus one more ARF field.
bool opensWithFeedbackFields(std::string_view body) {
  std::vector<MimeHeader> fields = parseHeaderBlock(body.substr(0, 8192), nullptr);
  bool feedback_type = false, other_arf_field = false;
  for (const MimeHeader& f : fields) {
    std::string name = toLower(f.name);
    feedback_type |= name == "feedback-type";
    other_arf_field |= name == "user-agent" || name == "version" || name == "original-rcpt-to" ||
                       name == "original-mail-from" || name == "arrival-date" || name == "source-ip";
  }
  return feedback_type && other_arf_field;
}

RecipientResult complaintAbout(std::string address, std::string feedback_type) {
  RecipientResult r;
  r.recipient = std::move(address);
  r.action = "feedback";
  r.reason = "feedback";
  r.feedback_type = std::move(feedback_type);
  return r;
}

const MimeEntity* feedbackTextPart(const MimeEntity& entity, std::size_t depth) {
  if (depth > kMaxMimeDepth) return nullptr;
  if (entity.content_type.rfind("message/", 0) == 0 && depth > 0) return nullptr;  // the returned message
  if (!entity.isMultipart() && entity.parts.empty() && opensWithFeedbackFields(entity.body)) return &entity;
  for (const MimeEntity& part : entity.parts) {
    if (const MimeEntity* found = feedbackTextPart(part, depth + 1)) return found;
  }
  return nullptr;
}

}  // namespace

const MimeEntity* findFeedbackReport(const MimeEntity& root) {
  if (const MimeEntity* part = findPart(root, "message/feedback-report")) return part;
  std::string content_type = toLower(root.header("Content-Type"));
  bool declared = content_type.find("report-type=feedback-report") != std::string::npos ||
                  content_type.find("report-type=\"feedback-report\"") != std::string::npos;
  const MimeEntity* text = feedbackTextPart(root, 0);
  if (text == nullptr) return nullptr;
  // Undeclared, the fields must stand in a part of their own (or the whole body), not in a
  // bounce notice's text: a part other than the first, or a message that is the report itself.
  if (declared || text == &root || (root.isMultipart() && !root.parts.empty() && text != &root.parts[0])) {
    return text;
  }
  return nullptr;
}

std::vector<RecipientResult> parseFeedbackReport(std::string_view report, const MimeEntity* original) {
  std::vector<MimeHeader> fields = parseHeaderBlock(report, nullptr);
  std::string feedback_type = "abuse";
  std::vector<std::string> recipients;
  std::vector<std::string> removal;
  for (const MimeHeader& f : fields) {
    std::string name = toLower(f.name);
    if (name == "feedback-type") feedback_type = toLower(trimBlanks(f.value));
    if (name == "original-rcpt-to" && recipients.size() < kMaxRecipientsPerReport) {
      recipients.push_back(addressFromTypedField(f.value));
    }
    if (name == "removal-recipient") removal.push_back(addressFromTypedField(f.value));
  }
  if (recipients.empty()) recipients = removal;
  if (recipients.empty() && original != nullptr) {
    std::string to = original->header("To");
    recipients.push_back(addressFromTypedField(to));
  }
  if (recipients.empty()) recipients.emplace_back();
  std::vector<RecipientResult> results;
  for (const std::string& address : recipients) results.push_back(complaintAbout(address, feedback_type));
  return results;
}

std::vector<RecipientResult> parseHotmailComplaint(const MimeEntity& root, const MimeEntity* original) {
  if (original == nullptr || toLower(root.header("Content-Type")).rfind("multipart/mixed", 0) != 0) return {};
  if (toLower(addressFromTypedField(root.header("From"))) != "staff@hotmail.com") return {};
  if (toLower(root.header("Subject")).find("complaint about message from ") == std::string::npos) return {};
  std::string recipient = addressFromTypedField(original->header("X-HmXmrOriginalRecipient"));
  if (recipient.empty()) recipient = addressFromTypedField(original->header("To"));
  return {complaintAbout(recipient, "abuse")};
}

}  // namespace waybill::dsn
