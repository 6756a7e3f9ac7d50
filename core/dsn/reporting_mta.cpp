// ReportingMta implementation: header fields a system adds to its own bounces decide first; the
// opening sentences of notices (which those systems do not translate or vary) decide next.
#include "dsn/reporting_mta.h"

#include <array>
#include <string>
#include <utility>

namespace waybill::dsn {
namespace {

// Header (lower-case name) whose presence names the writer.
constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kHeaderSignatures = {{
    {"x-ms-exchange-message-is-ndr", "exchange"},
    {"x-ms-exchange-crosstenant-id", "exchange"},
    {"x-ses-outgoing", "amazonses"},
    {"x-postfix-queue-id", "postfix"},
    {"x-failed-recipients", "exim"},
    {"x-notes-item", "domino"},
    {"x-mimecast-spam-score", "mimecast"},
    {"x-gm-message-state", "gmail"},
}};

// Sender (lower-case, in From:) that names the writer before any header does: Gmail's notices also
// carry X-Failed-Recipients, which alone would say Exim (sisimai's Gmail decoder checks the sender).
constexpr std::array<std::pair<std::string_view, std::string_view>, 1> kSenderSignatures = {{
    {"mailer-daemon@googlemail.com", "gmail"},
}};

// Sentences (lower-case) a system writes in its notice, in the order they are tried.
constexpr std::array<std::pair<std::string_view, std::string_view>, 18> kTextSignatures = {{
    {"this is the mail system at host", "postfix"},
    {"this message was created automatically by mail delivery software", "exim"},
    {"hi. this is the qmail-send program", "qmail"},
    {"----- transcript of session follows -----", "sendmail"},
    {"the original message was received at", "sendmail"},
    {"google tried to deliver your message", "gmail"},
    {"delivery to the following recipient failed permanently", "gmail"},
    {"diagnostic information for administrators", "exchange"},
    {"your message did not reach some or all of the intended recipients", "exchange"},
    {"delivery has failed to these recipients or groups", "exchange"},
    {"running the courier mail server", "courier"},
    {"this is the mail delivery agent at messagelabs", "messagelabs"},
    {"message from yahoo.com", "yahoo"},
    {"sorry, we were unable to deliver your message to the following address", "yahoo"},
    {"an error has occurred while attempting to deliver a message", "opensmtpd"},
    {"the following message to <", "amazonses"},
    {"was not delivered to:", "domino"},
    {"this is an automatically generated delivery status notification", "generic"},
}};

std::string_view familyOfSender(const MimeEntity& root) {
  std::string from = toLower(root.header("From"));
  for (const auto& [sender, family] : kSenderSignatures) {
    if (from.find(sender) != std::string::npos) return family;
  }
  return {};
}

}  // namespace

std::string_view detectReportingMta(const MimeEntity& root, std::string_view notification) {
  if (std::string_view family = familyOfSender(root); !family.empty()) return family;
  for (const MimeHeader& h : root.headers) {
    std::string name = toLower(h.name);
    for (const auto& [header, family] : kHeaderSignatures) {
      if (name == header) return family;
    }
  }
  std::string lower = toLower(notification.substr(0, 16 * 1024));
  for (const auto& [sentence, family] : kTextSignatures) {
    if (lower.find(sentence) != std::string::npos) return family == "generic" ? std::string_view{} : family;
  }
  return {};
}

}  // namespace waybill::dsn
