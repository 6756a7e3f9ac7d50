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
// EZweb (au) signs its notices as its postmaster (sisimai's EZweb decoder counts this From).
constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kSenderSignatures = {{
    {"mailer-daemon@googlemail.com", "gmail"},
    {"postmaster@ezweb.ne.jp", "ezweb"},
    {"postmaster@au.com", "ezweb"},
}};

struct ValueSignature {
  std::string_view header, text, family;  // lower-case header name, and text its value contains
};

// Values a system writes into its own headers (an empty text: the header's presence), tried
// before the header names above, which a few of these systems also write (X-Failed-Recipients).
// Each is a mark the system's sisimai decoder recognises it by.
constexpr std::array<ValueSignature, 19> kValueSignatures = {{
    {"message-id", ".javamail.", "apachejames"},        // Apache James: a JavaMail message
    {"received", "james smtp server", "apachejames"},   // ... or through its SMTP server
    {"received", " (dragonfly mail agent", "dragonfly"},
    {"received", "invoked for bounce)", "qmail"},       // qmail-send's own bounce hop
    {"x-mailer", "<smtp32 v", "imailserver"},           // Ipswitch iMail
    {"x-zohomail", "", "zoho"},
    {"x-gmx-antispam", "", "gmx"},
    {"x-mx-bounce", "", "exim"},                        // Exim-based third-party MTAs
    {"x-mxl-hash", "", "exim"},
    {"x-mxl-notehash", "", "exim"},
    {"from", "\"interscan", "interscanmss"},            // Trend Micro InterScan MSS
    {"x-mdaemon-deliver-to", "", "mdaemon"},            // Alt-N MDaemon stamps its own notices
    {"received", "(mailfoundry) id", "mailfoundry"},    // MailFoundry's own hop into its notice
    {"x-mlserver", "fml ", "fml"},                      // fml (mailing list manager) notices
    // Exchange 2000/2003 and its Internet Mail Service (go-sisimai's Exchange2003 decoder)
    {"x-ms-embedded-report", "", "exchange"},
    {"x-mailer", "internet mail service (", "exchange"},
    {"x-mailer", "microsoft exchange server internet mail connector", "exchange"},
    {"x-mimeole", "produced by microsoft exchange", "exchange"},
    {"received", " with internet mail service (", "exchange"},
}};

// Sentences (lower-case) a system writes in its notice, in the order they are tried.
constexpr std::array<std::pair<std::string_view, std::string_view>, 19> kTextSignatures = {{
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
    {"------- failure reasons ", "notes"},  // Lotus/HCL Notes: its reasons, then "------- Returned Message"
    {"this is an automatically generated delivery status notification", "generic"},
}};

std::string_view familyOfSender(const MimeEntity& root) {
  std::string from = toLower(root.header("From"));
  for (const auto& [sender, family] : kSenderSignatures) {
    if (from.find(sender) != std::string::npos) return family;
  }
  return {};
}

std::string_view familyOfHeaderValue(const MimeEntity& root) {
  std::size_t best = kValueSignatures.size();  // the earliest signature matched so far
  for (const MimeHeader& h : root.headers) {
    std::string name = toLower(h.name);
    for (std::size_t i = 0; i < best; ++i) {
      const ValueSignature& sig = kValueSignatures[i];
      if (name == sig.header && (sig.text.empty() || toLower(h.value).find(sig.text) != std::string::npos)) best = i;
    }
  }
  return best < kValueSignatures.size() ? kValueSignatures[best].family : std::string_view{};
}

}  // namespace

bool readsWholeNotice(std::string_view family) { return family == "ezweb"; }

std::string_view detectReportingMta(const MimeEntity& root, std::string_view notification) {
  if (std::string_view family = familyOfSender(root); !family.empty()) return family;
  if (std::string_view family = familyOfHeaderValue(root); !family.empty()) return family;
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
