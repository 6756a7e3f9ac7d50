// AutoReply implementation: header signals first; the subject prefixes are the ones Exchange,
// Gmail, Apple Mail and Zimbra write.
#include "dsn/auto_reply.h"

#include <array>

namespace waybill::dsn {
namespace {

bool containsAny(std::string_view text, std::initializer_list<std::string_view> needles) {
  for (std::string_view n : needles) {
    if (text.find(n) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace

bool looksLikeBounceNotice(const MimeEntity& root) {
  std::string from = toLower(root.header("From"));
  std::string subject = toLower(decodeEncodedWords(root.header("Subject")));
  if (containsAny(from, {"mailer-daemon", "postmaster", "mail delivery", "mailer daemon", "mail administrator"})) {
    return true;
  }
  return containsAny(subject, {"undeliver", "undelivered", "returned mail", "delivery status", "delivery fail",
                               "failure notice", "delivery notification", "non remis", "mail delivery",
                               "could not be delivered", "returned to sender", "not delivered", "rejected",
                               "nondeliverable", "delivery has failed", "failed delivery", "error"});
}

bool isAutoReply(const MimeEntity& root) {
  // Structure first. A report, or a notice that names failed recipients or comes from the mail
  // system, is never a reply, even with Auto-Submitted: auto-replied (Exim marks bounces so).
  if (root.content_type == "multipart/report" || !root.header("X-Failed-Recipients").empty()) return false;
  std::string from = toLower(root.header("From"));
  if (containsAny(from, {"mailer-daemon", "postmaster@", "mail delivery"})) return false;
  // Then RFC 3834 and the headers vacation programs add.
  std::string auto_submitted = toLower(trimBlanks(root.header("Auto-Submitted")));
  if (auto_submitted.rfind("auto-replied", 0) == 0) return true;
  if (!root.header("X-Autoreply").empty() || !root.header("X-Autorespond").empty()) return true;
  std::string precedence = toLower(trimBlanks(root.header("Precedence")));
  if (precedence == "auto_reply") return true;
  // Only then the looks: a mail system's notice is no reply, whatever its subject says.
  if (looksLikeBounceNotice(root)) return false;
  std::string subject = toLower(decodeEncodedWords(root.header("Subject")));
  return containsAny(subject, {"out of office", "out of the office", "auto reply", "auto-reply", "autoreply",
                               "automatic reply", "away until", "vacation", "auto:", "abwesend",
                               "absence", "autosvar"});
}

}  // namespace waybill::dsn
