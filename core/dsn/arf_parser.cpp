// ArfParser implementation. Recipients come from Original-Rcpt-To (several allowed), else
// Removal-Recipient, else the returned message's To header.
#include "dsn/arf_parser.h"

#include "dsn/dsn_parser.h"

namespace waybill::dsn {

std::vector<RecipientResult> parseFeedbackReport(std::string_view report, const MimeEntity* original) {
  std::vector<MimeHeader> fields = parseHeaderBlock(report, nullptr);
  std::string feedback_type = "abuse";
  std::vector<std::string> recipients;
  std::vector<std::string> removal;
  for (const MimeHeader& f : fields) {
    std::string name = lowerAscii(f.name);
    if (name == "feedback-type") feedback_type = lowerAscii(trimView(f.value));
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
  for (const std::string& address : recipients) {
    RecipientResult r;
    r.recipient = address;
    r.action = "feedback";
    r.reason = "feedback";
    r.feedback_type = feedback_type;
    results.push_back(std::move(r));
  }
  return results;
}

}  // namespace waybill::dsn
