// BounceClassifier, in the order sisimai documents its decision:
//  0. the reporting MTA's own fixed messages decide outright, unless the reason is on sisimai's
//     retry list (then only a probe placed before it overrides); then a local delivery agent's
//     message (procmail, maildrop, ...); then a mailbox provider's own documented wording
//     (PhraseKind::Provider) and the tables of the provider whose servers answered;
//  1. probes, in a fixed order, each asking "does the status code name me, or does my text occur
//     where the failed SMTP command allows it?" (a spam verdict needs DATA, a user-unknown text
//     needs RCPT, a sender refusal MAIL);
//  2. text alone, in a second order (server and network errors before "expired");
//  3. the reason the status code names; then the class of the code (x.6 content, x.7 security),
//     the mailer (x-unix), a syntax reply (50x), delayed -> expired, HELO -> blocked;
//  4. `onhold` only when text exists and nothing above decided; `undefined` when there is none.
// A status code that names a reason is therefore never `onhold` (isDecisiveStatus).
#include "dsn/bounce_classifier.h"

#include <array>
#include <cctype>
#include <utility>

#include "dsn/bounce_phrases.h"
#include "dsn/mime_lite.h"

namespace waybill::dsn {
namespace {

// RFC 3463 codes (and their registered extensions) -> the reason each names. The class matters
// for a few: 4.7.1 is a temporary block of the client, 5.7.1 any refusal on security grounds.
// 4.3.0, like 4.4.0 and 4.7.0, is "other or undefined" status and names nothing: the text, or a
// delayed action (expired), decides, as in go-sisimai's table.
constexpr std::array<std::pair<std::string_view, std::string_view>, 104> kStatusReasons = {{
    {"4.1.6", "hasmoved"},       {"4.1.7", "rejected"},       {"4.1.8", "rejected"},       {"4.1.9", "systemerror"},
    {"4.2.1", "blocked"},        {"4.2.2", "mailboxfull"},    {"4.2.3", "exceedlimit"},    {"4.2.4", "filtered"},
    {"4.3.1", "systemfull"},     {"4.3.2", "notaccept"},      {"4.3.3", "systemerror"},    {"4.3.5", "systemerror"},
    {"4.4.1", "expired"},        {"4.4.2", "networkerror"},   {"4.4.3", "systemerror"},    {"4.4.4", "networkerror"},
    {"4.4.5", "systemfull"},     {"4.4.6", "networkerror"},   {"4.4.7", "expired"},        {"4.4.8", "networkerror"},
    {"4.5.3", "systemerror"},    {"4.5.5", "systemerror"},    {"4.6.0", "contenterror"},   {"4.6.2", "contenterror"},
    {"4.6.5", "contenterror"},   {"4.7.1", "blocked"},        {"4.7.2", "blocked"},        {"4.7.5", "securityerror"},
    {"4.7.6", "securityerror"},  {"4.7.7", "securityerror"},  {"4.7.12", "securityerror"}, {"4.7.15", "securityerror"},
    {"4.7.16", "mesgtoobig"},    {"4.7.24", "authfailure"},   {"4.7.25", "requireptr"},    {"4.7.26", "authfailure"},
    {"5.1.0", "userunknown"},    {"5.1.1", "userunknown"},    {"5.1.2", "hostunknown"},    {"5.1.3", "userunknown"},
    {"5.1.4", "filtered"},       {"5.1.6", "hasmoved"},       {"5.1.7", "rejected"},       {"5.1.8", "rejected"},
    {"5.1.9", "systemerror"},    {"5.1.10", "notaccept"},     {"5.2.0", "filtered"},       {"5.2.1", "filtered"},
    {"5.2.2", "mailboxfull"},    {"5.2.3", "exceedlimit"},    {"5.2.4", "filtered"},       {"5.3.0", "systemerror"},
    {"5.3.1", "systemfull"},     {"5.3.2", "notaccept"},      {"5.3.3", "systemerror"},    {"5.3.4", "mesgtoobig"},
    {"5.3.5", "systemerror"},    {"5.4.0", "networkerror"},   {"5.4.3", "systemerror"},    {"5.4.4", "hostunknown"},
    {"5.5.2", "syntaxerror"},    {"5.5.3", "toomanyconn"},    {"5.5.4", "systemerror"},    {"5.5.5", "systemerror"},
    {"5.5.6", "syntaxerror"},    {"5.6.0", "contenterror"},   {"5.6.1", "contenterror"},   {"5.6.2", "contenterror"},
    {"5.6.3", "contenterror"},   {"5.6.5", "contenterror"},   {"5.6.6", "contenterror"},   {"5.6.7", "contenterror"},
    {"5.6.8", "contenterror"},   {"5.6.9", "contenterror"},   {"5.7.0", "securityerror"},  {"5.7.1", "securityerror"},
    {"5.7.2", "securityerror"},  {"5.7.3", "securityerror"},  {"5.7.4", "securityerror"},  {"5.7.5", "securityerror"},
    {"5.7.6", "securityerror"},  {"5.7.7", "securityerror"},  {"5.7.8", "securityerror"},  {"5.7.9", "securityerror"},
    {"5.7.10", "securityerror"}, {"5.7.11", "securityerror"}, {"5.7.13", "suspend"},       {"5.7.14", "securityerror"},
    {"5.7.15", "securityerror"}, {"5.7.16", "mesgtoobig"},    {"5.7.17", "hasmoved"},      {"5.7.18", "hasmoved"},
    {"5.7.19", "securityerror"}, {"5.7.20", "authfailure"},   {"5.7.21", "authfailure"},   {"5.7.22", "authfailure"},
    {"5.7.23", "authfailure"},   {"5.7.24", "authfailure"},   {"5.7.25", "requireptr"},    {"5.7.26", "authfailure"},
    {"5.7.27", "notaccept"},     {"5.7.28", "spamdetected"},  {"5.7.29", "authfailure"},   {"5.7.30", "failedstarttls"},
}};

// Pass 1 (status code or text, with the command's say) and pass 2 (text alone).
constexpr std::array<std::string_view, 19> kProbeOrder = {
    "mailboxfull", "mesgtoobig", "exceedlimit", "suspend", "hasmoved", "norelaying", "authfailure",
    "userunknown", "filtered", "requireptr", "notcompliantrfc", "badreputation", "contenterror",
    "rejected", "hostunknown", "spamdetected", "speeding", "toomanyconn", "blocked"};
constexpr std::array<std::string_view, 18> kTextOrder = {
    "mailboxfull", "authfailure", "badreputation", "speeding", "spamdetected", "virusdetected",
    "policyviolation", "norelaying", "systemerror", "networkerror", "suspend", "contenterror",
    "systemfull", "notaccept", "expired", "failedstarttls", "securityerror", "mailererror"};

bool isPseudoStatus(std::string_view status) { return status.size() > 5 && status.compare(1, 4, ".0.9") == 0; }

std::string_view statusName(std::string_view status) {
  if (isPseudoStatus(status)) return {};
  for (const auto& [code, reason] : kStatusReasons) {
    if (status == code) return reason;
  }
  return {};
}

bool isOneOf(std::string_view value, std::initializer_list<std::string_view> set) {
  for (std::string_view v : set) {
    if (value == v) return true;
  }
  return false;
}

// Phrases that name a missing address outright, beyond the terse "user unknown" of filters.
bool textSaysAddressIsMissing(std::string_view lower) {
  static constexpr std::string_view kExplicit[] = {
      "no such user", "recipient not found", "recipientnotfound", "couldn't be found", "does not exist",
      "no such mailbox", "invalid recipient", "recipient name is not recognized", "not listed in",
      "check if address is correct", "address not found", "no such address", "no such account"};
  for (std::string_view phrase : kExplicit) {
    if (lower.find(phrase) != std::string_view::npos) return true;
  }
  return false;
}

// A code naming an unknown host (5.1.2, 5.4.4) beside words that say the lookup or the route failed
// ("host name lookup failure", "too many hops") is that failure, not a verdict on the domain:
// go-sisimai's HostUnknown probe declines such a code, and its second pass names networkerror.
// Only its NetworkError sentences count: looser ones ("name server", "unreachable") also follow a
// plain "Host unknown" (Sendmail: "Host unknown (Name server: host not found)").
bool textSaysLookupOrRoutingFailed(std::string_view lower) {
  static constexpr std::string_view kFailures[] = {
      "could not connect and send the mail to", "dns records for the destination computer could not be found",
      "hop count exceeded - possible mail loop", "host is unreachable", "host name lookup failure",
      "host not found, try again", "mail forwarding loop for ", "malformed name server reply",
      "maximum forwarding loop count exceeded", "message looping", "message probably in a routing loop",
      "no route to host", "too many hops", "unable to resolve route ", "unrouteable mail domain"};
  for (std::string_view phrase : kFailures) {
    if (lower.find(phrase) != std::string_view::npos) return true;
  }
  return false;
}

// Phrase matches of one diagnostic, remembered per reason: the probes ask about the same
// reasons several times, and each answer costs a scan of that reason's phrases.
class TextMatches {
 public:
  explicit TextMatches(std::string_view lower) : lower_(lower) {}
  bool has(std::string_view reason) const {
    for (std::size_t i = 0; i < used_; ++i) {
      if (seen_[i].first == reason) return seen_[i].second;
    }
    bool found = textHasReason(lower_, reason);
    if (used_ < seen_.size()) seen_[used_++] = {reason, found};
    return found;
  }

 private:
  std::string_view lower_;
  mutable std::array<std::pair<std::string_view, bool>, 48> seen_{};
  mutable std::size_t used_ = 0;
};

// Writers whose sisimai decoders turn their own notice wording into userunknown (Domino,
// Exchange, Exim, EZweb, Gmail, iMail, InterScan), and an unrecognised writer, which may be
// one of the others that do (Verizon, Notes, ...). A known writer whose decoder does not (Postfix,
// Sendmail, qmail, Apache James, ...) leaves a "no such user" outside RCPT to the probes, as sisimai does.
bool decoderNamesUnknownUsers(std::string_view family) {
  return family.empty() ||
         isOneOf(family, {"domino", "exchange", "exim", "ezweb", "gmail", "imailserver", "interscanmss"});
}

struct Probe {
  const RecipientResult& r;
  std::string_view code_reason;  // what the status code names, empty when nothing
  std::string_view lower;        // the diagnostic, lower-cased
  const TextMatches& matches;
  bool decoder_names_users = true;  // decoderNamesUnknownUsers(the reporting MTA)
  bool text(std::string_view reason) const { return matches.has(reason); }
  bool beforeData() const { return isOneOf(r.smtp_command, {"CONN", "HELO", "MAIL", "RCPT"}); }
  bool test(std::string_view reason) const;
};

bool Probe::test(std::string_view reason) const {
  if (reason == "userunknown") {
    if (code_reason == "suspend") return false;
    if (code_reason == "userunknown") {
      // 5.1.1 beside a text about relaying, the client, a full box or the sender is about that;
      // without such words it names the address, whichever command it answered (go-sisimai's
      // UserUnknown probe: a bare 5.1.1 to MAIL FROM is still userunknown).
      for (std::string_view other : {"norelaying", "blocked", "mailboxfull", "hasmoved", "rejected", "notaccept"}) {
        if (text(other)) return false;
      }
      return true;
    }
    if (r.smtp_command == "RCPT") return text("userunknown");
    // No command named: a text that says outright that the address does not exist is the
    // reporting MTA's verdict (Domino, Exchange, Google notices); a terse "user unknown" is what
    // filters answer, and is read as filtered below.
    return decoder_names_users && r.smtp_command.empty() && code_reason.empty() && textSaysAddressIsMissing(lower) &&
           !text("hostunknown");
  }
  if (reason == "filtered") {
    if (code_reason == "suspend") return false;
    if (code_reason == "filtered") return text("userunknown") || text("filtered");
    // "User unknown" answered after DATA (or without a command) is a filter on the recipient side.
    return !beforeData() && (text("filtered") || text("userunknown"));
  }
  if (reason == "rejected") {
    if (code_reason == "rejected") return true;
    if (r.smtp_command == "MAIL") return text("rejected");
    if (r.smtp_command == "DATA") return code_reason != "userunknown" && text("rejected");
    return isOneOf(code_reason, {"", "securityerror", "systemerror"}) && text("rejected");
  }
  if (reason == "hostunknown") {
    if (code_reason == "hostunknown") return !textSaysLookupOrRoutingFailed(lower);
    // "Host not found, try again" is the resolver's temporary failure (TRY_AGAIN), not a verdict
    // that the domain does not exist (sisimai's NetworkError table): it names no reason here.
    constexpr std::string_view kTryAgain = "host not found, try again";
    // A domain that says it takes no mail (a null MX, "no MX record found for domain") is known:
    // that refusal is notaccept, which only the text pass names (go-sisimai's NotAccept table).
    if (text("notaccept")) return false;
    std::size_t at = lower.find(kTryAgain);
    if (at == std::string_view::npos) return text("hostunknown");
    std::string rest(lower);
    for (; at != std::string::npos; at = rest.find(kTryAgain, at)) rest.erase(at, kTryAgain.size());
    return textHasReason(rest, "hostunknown");
  }
  if (reason == "mesgtoobig") {
    if (code_reason == "mesgtoobig") return true;
    if (code_reason == "exceedlimit") return false;
    return text("mesgtoobig");
  }
  if (reason == "suspend") return r.reply_code == "525" || text("suspend");
  if (reason == "norelaying") return !isOneOf(r.smtp_command, {"CONN", "HELO"}) && text("norelaying");
  if (reason == "spamdetected") return code_reason == "spamdetected" || (!beforeData() && text("spamdetected"));
  if (reason == "contenterror") {
    if (test("spamdetected")) return false;
    return code_reason == "contenterror" || text("contenterror");
  }
  // A limit on connections ("connection rate limit exceeded") is toomanyconn, though its words also
  // say "rate limit": go-sisimai files that sentence there, and its speeding table has no bare
  // "rate limit" to take it first.
  if (reason == "speeding") return text("speeding") && !text("toomanyconn");
  if (reason == "hasmoved" || reason == "notcompliantrfc" || reason == "badreputation") {
    return text(reason);
  }
  // "Blocked" in a text that names a policy ("blocked because its content presents a potential
  // security issue") is that policy's refusal, not a block of the client: go-sisimai's blocked
  // table has no bare "blocked", so such a text reaches its policyviolation phrases; the same for a
  // spam verdict beside generic block words ("blocked for abuse", "spam blocked").
  if (reason == "blocked" && code_reason != "blocked" && (text("policyviolation") || text("spamdetected"))) {
    return false;
  }
  return code_reason == reason || text(reason);  // mailboxfull, exceedlimit, authfailure, requireptr, ...
}

// A temporary failure cannot prove that a domain does not exist: the lookup failed for now.
std::string temporaryCheck(std::string reason, const RecipientResult& r) {
  bool temporary = r.status.rfind("4.", 0) == 0 || (r.status.empty() && r.reply_code.rfind('4', 0) == 0);
  if (reason == "hostunknown" && (temporary || r.action == "delayed")) return "networkerror";
  return reason;
}

bool isSyntaxReply(std::string_view reply) {
  return reply.size() == 3 && (reply[0] == '4' || reply[0] == '5') && reply[1] == '0' && reply[2] >= '1' && reply[2] <= '7';
}

std::string fallbackReason(const RecipientResult& r, std::string_view code_reason) {
  if (!code_reason.empty()) return std::string(code_reason);
  std::string_view status = r.status;
  if (status.size() > 3 && status.compare(1, 2, ".6") == 0) return "contenterror";
  if (status.size() > 3 && status.compare(1, 2, ".7") == 0) return "securityerror";
  if (r.diagnostic_type == "x-unix" || r.diagnostic_type == "x-postfix") {
    return "mailererror";
  }
  if (isSyntaxReply(r.reply_code)) return "syntaxerror";
  if (r.action == "delayed" || r.action == "expired") return "expired";
  if (r.smtp_command == "HELO") return "blocked";
  return {};
}

// The host a notice names as the one that answered: "host mx.example.net[192.0.2.1] said:" (Postfix),
// "host mx.example.net [192.0.2.1]" (Exim); empty when none.
std::string hostNamedIn(std::string_view lower) {
  std::size_t at = lower.find("host ");
  if (at == std::string_view::npos) return {};
  std::size_t start = at + 5, end = start;
  while (end < lower.size() && (std::isalnum(static_cast<unsigned char>(lower[end])) || lower[end] == '.' || lower[end] == '-')) ++end;
  std::string host(lower.substr(start, end - start));
  return host.find('.') == std::string::npos ? std::string() : host;
}

// Whose rules read the reply: the recipient's mail domain's provider, else the Remote-MTA's, else
// the host the notice names. The domain comes first, as in go-sisimai's rhost.Name: a provider
// answers for its own addresses through whichever servers carry them.
std::string_view providerOf(const RecipientResult& r, std::string_view lower, std::string_view reporting_host) {
  std::size_t at = r.recipient.rfind('@');
  if (at != std::string::npos) {
    if (std::string_view p = providerForHost(toLower(r.recipient.substr(at + 1))); !p.empty()) return p;
  }
  if (std::string_view p = providerForHost(toLower(r.remote_mta)); !p.empty()) return p;
  if (std::string_view p = providerForHost(hostNamedIn(lower)); !p.empty()) return p;
  // Last, the host that wrote the report: a provider's own servers reporting their own refusal
  // (go-sisimai's rhost.Name also tries the local host after the remote one).
  return providerForHost(toLower(reporting_host));
}

// NTT DOCOMO's servers refuse with bare status codes, each with one meaning there (go-sisimai's
// rhost NTTDOCOMO): 5.1.1 an unknown address, 5.2.0 the recipient's own reception filter; these
// come before its reply wording (bounce_phrases.def).
std::string_view docomoStatusVerdict(std::string_view provider, const RecipientResult& r) {
  if (provider != "nttdocomo" || r.diagnostic.empty()) return {};
  if (r.status == "5.1.1" || r.status == "5.0.911") return "userunknown";
  return r.status == "5.2.0" ? "filtered" : std::string_view{};
}

// After its wording, DOCOMO's unspecific 5.0.0 is an unknown address at RCPT, a refusal of the
// message at DATA.
std::string_view docomoCommandVerdict(std::string_view provider, const RecipientResult& r) {
  if (provider != "nttdocomo" || r.diagnostic.empty() || r.status != "5.0.0") return {};
  if (r.smtp_command == "RCPT") return "userunknown";
  return r.smtp_command == "DATA" ? "rejected" : std::string_view{};
}

// Gmail's notice quotes the remote reply; a specific status code in it (5.2.2, not 5.7.0) names the
// reason over Gmail's own session-state verdict, as sisimai's Gmail decoder does.
bool gmailStatusOverrides(std::string_view family, std::string_view status, std::string_view code_reason) {
  return family == "gmail" && !code_reason.empty() && status.find(".0") == std::string_view::npos;
}

// Postfix writes a remote server's reply as "X-Postfix; host ... said: 554 ...": an SMTP reply.
bool isSmtpDiagnostic(const RecipientResult& r) {
  return r.diagnostic_type.empty() || r.diagnostic_type == "smtp" ||
         (r.diagnostic_type == "x-postfix" && !r.reply_code.empty());
}

// A verdict on sisimai's retry list (userunknown, expired, ...) stands unless a probe placed
// before it in the probe order names a reason first, as sisimai re-checks such a verdict.
std::string recheckVerdict(const Probe& probe, std::string_view verdict) {
  if (isSmtpDiagnostic(probe.r)) {
    // A writer's own security or system-error verdict is not overturned by relaying words: its
    // notice is about the writer's own refusal (go-sisimai's NoRelaying probe declines there).
    const bool keeps_relaying_words = isOneOf(verdict, {"securityerror", "systemerror"});
    for (std::string_view reason : kProbeOrder) {
      if (reason == verdict) break;
      if (reason == "norelaying" && keeps_relaying_words) continue;
      if (probe.test(reason)) return temporaryCheck(std::string(reason), probe.r);
    }
  }
  return std::string(verdict);
}

// Each run of blanks and line breaks made one space: MTAs fold a long reply over indented lines
// (Postfix: "550 Mailbox\n    is full"), and a phrase must match across the fold.
std::string squeezedLower(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else if (!out.empty() && out.back() != ' ') {
      out.push_back(' ');
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

void eraseAll(std::string& text, const std::string& piece) {
  for (std::size_t at = text.find(piece); at != std::string::npos; at = text.find(piece, at)) text.erase(at, piece.size());
}

// The diagnostic as the phrases are matched against it: squeezed, and a multi-line reply read as
// one sentence. Every line but the last of a multi-line SMTP reply starts "550-" (RFC 5321 section
// 4.2.1), often with the status code after it ("550-5.7.1 ..."); joined, those markers split the
// reply's words ("The account 550-or domain may not exist"), so they are removed.
std::string matchingText(const RecipientResult& r) {
  std::string lower = squeezedLower(r.diagnostic);
  if (r.reply_code.size() != 3 || lower.find(r.reply_code + "-") == std::string::npos) return lower;
  if (!r.status.empty()) eraseAll(lower, r.reply_code + "-" + r.status + " ");
  eraseAll(lower, r.reply_code + "-");
  return squeezedLower(lower);
}

std::string chooseReason(const RecipientResult& r, std::string_view mta_family, std::string_view reporting_host) {
  if (r.status.rfind("2.", 0) == 0) return "delivered";
  std::string lower = matchingText(r);
  std::string_view code_reason = statusName(r.status);
  // The reporting MTA's own fixed message decides first (sisimai keeps a reason its MTA decoder
  // set), unless the reason is on the retry list; then a local delivery agent's message, then the
  // tables of the provider whose servers answered.
  std::string_view by_mta = mtaVerdict(mta_family, lower);
  if (!by_mta.empty() && gmailStatusOverrides(mta_family, r.status, code_reason)) by_mta = code_reason;
  if (!by_mta.empty() && !isOnRetryList(by_mta)) return std::string(by_mta);
  if (std::string_view by_agent = localAgentVerdict(lower, r.smtp_command); !by_agent.empty()) {
    return std::string(by_agent);
  }
  if (std::string_view by_provider = providerReason(lower); !by_provider.empty()) return std::string(by_provider);
  const std::string_view provider = providerOf(r, lower, reporting_host);
  std::string_view by_rule = docomoStatusVerdict(provider, r);
  if (by_rule.empty()) by_rule = providerRule(provider, lower, r.reply_code, r.status);
  if (by_rule.empty()) by_rule = docomoCommandVerdict(provider, r);
  if (!by_rule.empty()) return std::string(by_rule);
  // The Status field the remote reply's code replaced still counts when that code names nothing.
  if (code_reason.empty()) code_reason = statusName(r.status_field);
  TextMatches matches(lower);
  // An unrecognised writer's RFC 3464 report is read by sisimai's generic DSN decoder, which names
  // no unknown users itself.
  const bool generic_dsn = mta_family.empty() && r.diagnostic_type == "smtp";
  Probe probe{r, code_reason, lower, matches, decoderNamesUnknownUsers(mta_family) && !generic_dsn};
  if (!by_mta.empty()) return recheckVerdict(probe, by_mta);
  bool smtp_diagnostic = isSmtpDiagnostic(r);
  if (smtp_diagnostic) {
    for (std::string_view reason : kProbeOrder) {
      if (probe.test(reason)) return temporaryCheck(std::string(reason), r);
    }
  }
  // A status code naming an unknown host (5.1.2, 5.4.4) that the text confirms ("Host or domain
  // name not found", Postfix) stands: sisimai's second pass has no looser DNS wording that would
  // turn it into networkerror, and a temporary code still becomes networkerror (temporaryCheck).
  if (code_reason == "hostunknown" && matches.has("hostunknown") && !textSaysLookupOrRoutingFailed(lower)) {
    return temporaryCheck("hostunknown", r);
  }
  if (isOnRetryList(code_reason) || smtp_diagnostic) {
    for (std::string_view reason : kTextOrder) {
      if (matches.has(reason)) return std::string(reason);
    }
  }
  if (std::string fallback = fallbackReason(r, code_reason); !fallback.empty()) return fallback;
  return lower.empty() ? "undefined" : "onhold";
}

}  // namespace

// Reasons a status code or a decoder names only loosely (sisimai's retry list): text may still
// say something more precise.
bool isOnRetryList(std::string_view reason) {
  return reason.empty() || reason == "systemerror" || reason == "securityerror" || reason == "expired" ||
         reason == "networkerror" || reason == "hostunknown" || reason == "userunknown";
}

std::string reasonForStatus(std::string_view status) {
  if (status.size() < 5 || status[1] != '.') return {};
  if (status[0] == '2') return "delivered";
  return std::string(statusName(status));
}

bool isDecisiveStatus(std::string_view status) {
  return (status.rfind("4.", 0) == 0 || status.rfind("5.", 0) == 0) && !reasonForStatus(status).empty();
}

std::string reasonForText(std::string_view lower_text) {
  if (lower_text.empty()) return {};
  for (const BouncePhrase& entry : bouncePhrases()) {
    if (phraseMatches(lower_text, entry.text)) return std::string(entry.reason);
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

void classifyRecipient(RecipientResult& result, std::string_view mta_family, std::string_view reporting_host) {
  if (result.reason.empty()) result.reason = chooseReason(result, mta_family, reporting_host);
  result.hard_bounce = isHardBounce(result.reason, result.status, result.reply_code);
}

}  // namespace waybill::dsn
