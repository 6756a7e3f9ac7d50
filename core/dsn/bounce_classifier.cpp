// BounceClassifier: status code first when it is specific (x.2.2 is always a full mailbox), the
// diagnostic text when the code is generic (5.0.0, 5.7.1, 550), then the fall-backs sisimai uses
// (delayed -> expired, a mailer's x-unix diagnostic -> mailererror, text but no match -> onhold).
#include "dsn/bounce_classifier.h"

#include <array>
#include <span>
#include <utility>

#include "dsn/bounce_phrases.h"
#include "dsn/mime_lite.h"

namespace waybill::dsn {
namespace {

// subject.detail -> reason; the class digit (4 or 5) does not change the reason. Codes whose
// meaning depends on the text (x.2.1 is "user unknown" at some sites) are in kFallbackStatus.
constexpr std::array<std::pair<std::string_view, std::string_view>, 30> kStatusReasons = {{
    {"1.1", "userunknown"},   {"1.0", "userunknown"},   {"1.3", "userunknown"},  {"1.2", "hostunknown"},
    {"1.6", "hasmoved"},      {"1.7", "rejected"},      {"1.8", "rejected"},     {"2.2", "mailboxfull"},
    {"2.3", "exceedlimit"},   {"2.4", "systemerror"},   {"3.1", "systemfull"},   {"1.10", "notaccept"},
    {"3.4", "mesgtoobig"},    {"3.0", "systemerror"},   {"3.3", "systemerror"},  {"3.5", "systemerror"},
    {"4.1", "expired"},       {"4.2", "networkerror"},  {"4.3", "systemerror"},  {"4.4", "hostunknown"},
    {"4.6", "networkerror"},  {"4.7", "expired"},       {"7.13", "suspend"},     {"7.25", "requireptr"},
    {"7.26", "authfailure"},  {"7.27", "notaccept"},    {"7.23", "authfailure"}, {"7.24", "authfailure"},
    {"7.20", "authfailure"},  {"6.1", "contenterror"},
}};
constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kFallbackStatus = {{
    {"2.1", "suspend"}, {"3.2", "notaccept"}, {"5.3", "syntaxerror"}, {"5.2", "syntaxerror"}, {"5.4", "syntaxerror"},
    {"7.9", "securityerror"}, {"2.0", "filtered"},
}};

// First pass: a reason wins when its status code or one of its phrases is present, in this order
// (specific reasons before broad ones such as "blocked").
constexpr std::array<std::string_view, 22> kPrimaryOrder = {
    "mailboxfull", "mesgtoobig", "exceedlimit", "suspend", "hasmoved", "norelaying", "authfailure",
    "userunknown", "filtered", "requireptr", "notcompliantrfc", "badreputation", "contenterror",
    "rejected", "notaccept", "hostunknown", "virusdetected", "spamdetected", "toomanyconn", "speeding",
    "policyviolation", "blocked"};
// Second pass, phrases only, when the first found nothing.
constexpr std::array<std::string_view, 16> kSecondaryOrder = {
    "virusdetected", "policyviolation", "networkerror", "expired", "systemfull", "notaccept",
    "systemerror", "securityerror", "mailererror", "syntaxerror", "suspend", "contenterror",
    "norelaying", "speeding", "spamdetected", "badreputation"};

std::string lookup(std::string_view status, std::span<const std::pair<std::string_view, std::string_view>> table) {
  if (status.size() < 5 || status[1] != '.') return {};
  std::string_view rest = status.substr(2);
  for (const auto& [code, reason] : table) {
    if (rest == code) return std::string(reason);
  }
  return {};
}

// Phrases that name a missing address outright, beyond the terse "user unknown".
bool textHasStrongUserUnknown(std::string_view lower) {
  static constexpr std::string_view kStrong[] = {"no such user", "recipient not found", "recipientnotfound",
                                                 "couldn't be found", "does not exist", "no such mailbox",
                                                 "invalid recipient", "recipient name is not recognized"};
  for (std::string_view phrase : kStrong) {
    if (lower.find(phrase) != std::string_view::npos) return true;
  }
  return false;
}

// A user-unknown code beside text that says the sender, the IP or the mailbox size was the problem.
bool textOverridesUserUnknown(std::string_view lower) {
  for (std::string_view other : {"norelaying", "blocked", "mailboxfull", "hasmoved", "rejected", "notaccept"}) {
    if (textHasReason(lower, other)) return true;
  }
  return false;
}

bool primaryMatches(std::string_view reason, const std::string& by_status, std::string_view lower) {
  if (reason == "userunknown" && by_status == "userunknown") return !textOverridesUserUnknown(lower);
  return by_status == reason || textHasReason(lower, reason);
}

// "User unknown" text without a x.1.x code: after DATA it is a filter at the recipient's side
// speaking, after MAIL FROM it is about the sender.
std::string userUnknownByText(const RecipientResult& r, std::string_view lower) {
  if (r.smtp_command == "RCPT" || textHasStrongUserUnknown(lower)) return "userunknown";
  if (r.smtp_command == "DATA") return "filtered";
  if (r.smtp_command == "MAIL") return "rejected";
  // No command named: terse texts ("550 User unknown") are what recipient-side filters answer
  // (sisimai reads them so); explicit ones ("recipient not found") are about the address.
  static constexpr std::string_view kTerse[] = {"user unknown", "unknown user", "mailbox unavailable",
                                                "user not exist", "this user doesn't have a"};
  std::string_view reason_text = lower;
  for (std::string_view phrase : kTerse) {
    if (reason_text.find(phrase) != std::string_view::npos) {
      return textHasStrongUserUnknown(lower) ? "userunknown" : "filtered";
    }
  }
  return "userunknown";
}

// Which SMTP command failed changes the meaning: "user unknown" after DATA is a content filter
// answering, after MAIL FROM it is about the sender.
std::string adjustForContext(std::string reason, const RecipientResult& r) {
  bool temporary = r.status.rfind("4.", 0) == 0;
  bool try_again = lowerAscii(r.diagnostic).find("try again") != std::string::npos;
  if (reason == "hostunknown" && (temporary || (r.status.empty() && try_again))) {
    return "networkerror";
  }
  return reason;
}

std::string chooseReason(const RecipientResult& r) {
  std::string lower = lowerAscii(r.diagnostic);
  if (r.status.rfind("2.", 0) == 0) return "delivered";
  if (r.diagnostic_type == "x-unix" || r.diagnostic_type == "x-local") {
    return textHasReason(lower, "mailboxfull") ? "mailboxfull" : "mailererror";
  }
  std::string by_status = lookup(r.status, kStatusReasons);
  if (r.status.size() > 5 && r.status.compare(1, 4, ".0.9") == 0) by_status.clear();  // sisimai pseudo code
  // Size codes are unambiguous even when the text also mentions another limit.
  if (by_status == "exceedlimit" || by_status == "mesgtoobig" || by_status == "mailboxfull") return by_status;
  std::string by_field = lookup(r.status_field, kStatusReasons);
  if (by_field == "userunknown" && by_status.empty()) by_status = by_field;
  for (std::string_view reason : kPrimaryOrder) {
    if (!primaryMatches(reason, by_status, lower)) continue;
    if (reason == "userunknown" && by_status != "userunknown" && by_field != "userunknown") {
      return userUnknownByText(r, lower);
    }
    if (reason == "userunknown" && r.smtp_command == "MAIL") return "rejected";
    return adjustForContext(std::string(reason), r);
  }
  for (std::string_view reason : kSecondaryOrder) {
    if (textHasReason(lower, reason)) return adjustForContext(std::string(reason), r);
  }
  if (!by_status.empty()) return adjustForContext(by_status, r);
  if (std::string fallback = lookup(r.status, kFallbackStatus); !fallback.empty()) return fallback;
  if (r.status.size() > 3 && r.status.compare(1, 2, ".6") == 0) return "contenterror";
  if (r.status.size() > 3 && r.status.compare(1, 2, ".7") == 0) return "securityerror";
  if (r.smtp_command == "MAIL") return "rejected";
  if (r.smtp_command == "HELO") return "blocked";
  if (r.action == "delayed" || r.action == "expired") return "expired";
  return lower.empty() ? "undefined" : "onhold";
}

}  // namespace

std::string reasonForStatus(std::string_view status) {
  if (status.size() < 5 || status[1] != '.') return {};
  if (status[0] == '2') return "delivered";
  if (status.size() > 5 && status.compare(1, 4, ".0.9") == 0) return {};  // sisimai pseudo codes: no status
  std::string reason = lookup(status, kStatusReasons);
  return reason.empty() ? lookup(status, kFallbackStatus) : reason;
}

std::string reasonForText(std::string_view lower_text) {
  if (lower_text.empty()) return {};
  for (const ReasonPhrases& entry : reasonPhraseTable()) {
    for (std::string_view phrase : entry.phrases) {
      if (phraseMatches(lower_text, phrase)) return std::string(entry.reason);
    }
  }
  return {};
}

bool isHardBounce(std::string_view reason, std::string_view status, std::string_view reply_code) {
  if (reason == "userunknown" || reason == "hostunknown" || reason == "hasmoved") return true;
  if (reason == "notaccept") {
    if (!status.empty()) return status[0] == '5';
    return reply_code.empty() || reply_code[0] == '5';
  }
  return false;
}

void classifyRecipient(RecipientResult& result) {
  if (result.reason.empty()) result.reason = chooseReason(result);
  result.hard_bounce = isHardBounce(result.reason, result.status, result.reply_code);
}

}  // namespace waybill::dsn
