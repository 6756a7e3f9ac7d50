// SmtpLimits implementation. The path limit counts the angle brackets, so the bare mailbox may
// have at most 254 octets.
#include "mail/smtp_limits.h"

namespace waybill {

bool fitsSmtpLimits(std::string_view mailbox) {
  if (mailbox.size() + 2 > kMaxSmtpPath) return false;
  const std::size_t at = mailbox.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == mailbox.size()) return false;
  return at <= kMaxSmtpLocalPart && mailbox.size() - at - 1 <= kMaxSmtpDomain;
}

std::string shortenedForDisplay(std::string_view text, std::size_t max) {
  if (text.size() <= max) return std::string(text);
  return std::string(text.substr(0, max)) + "... (" + std::to_string(text.size()) + " bytes)";
}

}  // namespace waybill
