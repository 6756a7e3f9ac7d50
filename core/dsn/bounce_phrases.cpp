// The phrase tables. Written from the texts of real bounces (Postfix, Sendmail, Exim, qmail,
// Exchange, Gmail, Yahoo, Outlook, ...); lower-case; order inside a list does not matter.
#include "dsn/bounce_phrases.h"

#include <array>

namespace waybill::dsn {
namespace {

using P = std::string_view;

constexpr std::array kMailboxFull = {
    P{"mailbox full"}, P{"mailbox is full"}, P{"mailbox size limit exceeded"}, P{"over quota"},
    P{"over the quota"}, P{"quota exceeded"}, P{"exceeded storage allocation"}, P{"user is over quota"},
    P{"mailbox has exceeded"}, P{"mailbox exceeds allowed size"}, P{"account is over quota"},
    P{"recipient's mailbox is full"}, P{"inbox is full"}, P{"not enough storage"}, P{"disk quota"},
    P{"quota exceed"}, P{"mailfolder is full"}, P{"would exceed mailbox quota"}, P{"mail box full"},
    P{"mailbox over"}, P{"exceeds mailbox size"}, P{"insufficient disk space"}, P{"mailbox is overfilled"},
    P{"user has exceeded quota"}, P{"no space left on device"}, P{"full mailbox"}, P{"mailbox has overflowed"},
    P{"account has exceeded its"}, P{"has exceeded the max emails per hour"}, P{"is over quota"},
    P{"maildir over quota"}, P{"maildir has overdrawn"}, P{"exceeded its storage"}, P{"user over quota"},
    P{"the user's mailbox is full"}, P{"mailbox exceeded"}, P{"quota * exceeded"},
};
constexpr std::array kMesgTooBig = {
    P{"message too large"}, P{"message too big"}, P{"message size exceeds"}, P{"exceeds size limit"},
    P{"message is too large"}, P{"message is too big"}, P{"size exceeds the maximum"},
    P{"exceeded the maximum message size"}, P{"message exceeds maximum"}, P{"message size exceeds fixed"},
    P{"message length exceeds administrative limit"}, P{"line too long"}, P{"mail size limit exceeded"}, P{"exceeds the maximum size"},
};
constexpr std::array kExceedLimit = {
    P{"message too large for this recipient"}, P{"exceeded maximum allowed size"},
    P{"message size exceeds the limit for this recipient"},
};
constexpr std::array kSuspend = {
    P{"account disabled"}, P{"account has been disabled"}, P{"account is disabled"}, P{"mailbox disabled"},
    P{"account is suspended"}, P{"account suspended"}, P{"user suspended"}, P{"has been suspended"},
    P{"mailbox unavailable or access denied"}, P{"recipient suspend"}, P{"account inactive"},
    P{"mailbox is inactive"}, P{"account is inactive"}, P{"currently suspended"}, P{"is not active"},
    P{"boite du destinataire archivee"}, P{"email account that you tried to reach is disabled"},
    P{"account that you tried to reach is inactive"}, P{"this account has been temporarily suspended"},
    P{"account is locked"}, P{"user account is unavailable"}, P{"has been disabled or discontinued"},
};
constexpr std::array kHasMoved = {
    P{" has been replaced by "}, P{"address has changed"}, P{"mailbox has moved"},
};
constexpr std::array kNoRelaying = {
    P{"relay access denied"}, P{"insecure mail relay"}, P{"relaying denied"}, P{"relay not permitted"}, P{"relaying not allowed"},
    P{"we do not relay"}, P{"unable to relay"}, P{"relay denied"}, P{"not permitted to relay"},
    P{"relaying mail to * is not allowed"}, P{"no relaying"}, P{"relay prohibited"},
    P{"that domain isn't in my list of allowed rcpthosts"}, P{"not a gateway"}, P{"relaying prohibited"},
    P{"relay not allowed"}, P{"mail relay not permitted"},
};
constexpr std::array kAuthFailure = {
    P{"spf check failed"}, P{"spf failure"}, P{"failed spf"}, P{"spf fail"}, P{"dmarc policy"},
    P{"dkim signature * fail"}, P{"dkim check failed"}, P{"sender policy framework"}, P{"dmarc"},
    P{"spf validation"}, P{"does not pass spf"}, P{"unauthenticated email"}, P{"spf record"},
    P{"is not authorized to send"}, P{"is not allowed to send mail from"}, P{"spf: "},
    P{"the message failed authentication"}, P{"does not have authentication information"}, P{"authentication checks"},
};
constexpr std::array kUserUnknown = {
    P{"user unknown"}, P{"unknown user"}, P{"no such user"}, P{"no such mailbox"}, P{"no such recipient"},
    P{"recipient unknown"}, P{"unknown recipient"}, P{"mailbox not found"}, P{"mailbox does not exist"},
    P{"mailbox unavailable"}, P{"user not found"}, P{"user does not exist"}, P{"address does not exist"},
    P{"address unknown"}, P{"invalid recipient"}, P{"invalid mailbox"}, P{"recipient not found"},
    P{"recipient does not exist"}, P{"no mailbox here by that name"}, P{"no such address"},
    P{"is not a valid mailbox"}, P{"user doesn't exist"}, P{"user not exist"}, P{"user * does not exist"}, P{"recipient * does not exist"},
    P{"account * does not exist"}, P{"couldn't be found"}, P{"recipientnotfound"}, P{"#5.1.0 address rejected"},
    P{"unknown local part"}, P{"unknown or illegal alias"}, P{"no account by that name"},
    P{"email account that you tried to reach does not exist"}, P{"no such person"},
    P{"not a valid recipient"}, P{"recipient address rejected: user unknown"},
    P{"recipient address rejected: access denied"}, P{"recipient address rejected: undeliverable address"},
    P{"recipient address rejected: unknown"}, P{"invalid address"},
    P{"not our customer"}, P{"recipient name is not recognized"}, P{"user * not found"}, P{"mailbox * does not exist"}, P{"bad recipient"},
    P{"this user doesn't have a"}, P{"sorry, no mailbox"}, P{"unknown mailbox"}, P{"user not known"},
    P{"not a known user"}, P{"no valid recipients"}, P{"badrcptto"}, P{"validrcptto"},
    P{"recipient rejected"}, P{"destination addresses were unknown"}, P{"no such local user"},
    P{"resolver.adr.recipnotfound"}, P{"recipient not exist"}, P{"unknown account"},
    P{"nonexistent"}, P{"non-existent"}, P{"no mailbox"}, P{"mailbox is unavailable"},
    P{"user invalid"}, P{"invalid user"}, P{"not listed in"}, P{"is not a valid user"},
    P{"there is no one at this address"}, P{"couldn't find the recipient"}, P{"address not found"},
    P{"no such account"}, P{"account does not exist"}, P{"user not local"}, P{"check if address is correct"}, P{"recipient address rejected."},
};
constexpr std::array kFiltered = {
    P{"because the recipient is not accepting mail from"}, P{"due to extended inactivity"},
    P{"mail rejected by the recipient"}, P{"recipient refuses to accept"}, P{"has restricted"},
    P{"this group only accepts"}, P{"you are not allowed to post"}, P{"rejected by google groups"},
    P{"this user doesn't accept"}, P{"not accepting messages from"}, P{"blocked by the recipient"},
    P{"refused by user"}, P{"message filtered"}, P{"filtered by"}, P{"content filter"},
    P{"filtered out"}, P{"http://support.google.com/a/bin/answer.py?answer=1366762"},
};
constexpr std::array kRequirePtr = {
    P{"no ptr record"}, P{"reverse dns"}, P{"reverse lookup"}, P{"ptr record"}, P{"no reverse"},
    P{"cannot find your hostname"}, P{"client host rejected: cannot find your"}, P{"rdns"},
    P{"cannot resolve your address"}, P{"ip name lookup failed"}, P{"reverse mapping"},
    P{"does not have a reverse"}, P{"invalid ptr"}, P{"hostname does not resolve"},
    P{"doesn't have a ptr"}, P{"unresolvable"}, P{"please set up a valid ptr"}, P{"mismatches client ip"},
};
constexpr std::array kNotCompliantRfc = {
    P{"duplicate header"}, P{"multiple * addresses in from"}, P{"rfc 5322"}, P{"rfc5322"},
    P{"rfc 2822"}, P{"rfc2822"}, P{"not rfc compliant"}, P{"not compliant with rfc"}, P{"rfc 5321"},
    P{"there are multiple from"}, P{"multiple from headers"}, P{"formatting requirements"},
};
constexpr std::array kBadReputation = {
    P{"sender reputation"}, P{"ip reputation"}, P{"poor reputation"}, P{"user complaints"}, P{"low reputation"},
    P{"reputation of the sending"}, P{"bad reputation"}, P{"has been temporarily rate limited due to ip reputation"},
    P{"reputation"},
};
constexpr std::array kContentError = {
    P{"improper use of 8-bit data"}, P{"header error"}, P{"message header size exceeds"},
    P{"illegal attachment"}, P{"invalid character"}, P{"bad content"}, P{"message contains an unknown"},
};
constexpr std::array kRejected = {
    P{"sender rejected"}, P{"sender address rejected"}, P{"sender was rejected"}, P{"sender denied"},
    P{"domain of sender address"}, P{"sender verify failed"}, P{"sender is not allowed"},
    P{"invalid sender"}, P{"sender not allowed"}, P{"from address rejected"}, P{"purported responsible address"},
    P{"blacklisted sender"}, P{"sender blocked"}, P{"address rejected: domain not found"},
    P{"rejected: sender"}, P{"mail from rejected"}, P{"envelope sender"}, P{"sender unknown"},
    P{"your email address has been blocked"}, P{"return address is invalid"}, P{"bad sender"},
    P{"sender address is not"}, P{"unknown sender"}, P{"sender domain"}, P{"null sender"}, P{"sender verification"}, P{"we do not accept mail from"},
    P{"administrative prohibition"},
};
constexpr std::array kHostUnknown = {
    P{"host unknown"}, P{"host * not found"}, P{"domain is not reachable"}, P{"unrouteable address"}, P{"host not found"}, P{"unknown host"}, P{"domain not found"},
    P{"domain does not exist"}, P{"no such domain"}, P{"unrouteable mail domain"}, P{"name or service not known"},
    P{"name service error"}, P{"host name lookup failure"}, P{"host or domain name not found"}, P{"domain name not found"},
    P{"unknown domain"}, P{"invalid domain"}, P{"no mx"}, P{"recipient domain must exist"},
    P{"domain is not valid"}, P{"domain isn't in my list"}, P{"illegal host/domain"},
    P{"no route to host"}, P{"nxdomain"}, P{"all relevant mx records point to non-existent hosts"},
    P{"dns lookup failed"}, P{"host not known"}, P{"unknown mail domain"}, P{"not our domain"},
};
constexpr std::array kSpamDetected = {
    P{"as spam"}, P{"spam detected"}, P{"spam message"}, P{"is spam"}, P{"likely spam"}, P{"mail rejete. mail rejected"},
    P{"considered spam"}, P{"spam content"}, P{"spam filter"}, P{"spamassassin"}, P{"- spam"}, P{"junk mail"},
    P{"blacklisted url"}, P{"unsolicited"}, P{"bulk mail"}, P{"message content rejected"},
    P{"content rejected"}, P{"high probability of being"}, P{"detected as"}, P{"rejected as bulk"},
    P{"suspicious"}, P{"scored"}, P{"our system has detected that this message is"},
    P{"message looks like"}, P{"phishing"}, P{"uce"},
};
constexpr std::array kVirusDetected = {
    P{"virus"}, P{"infected"}, P{"malware"}, P{"message contains malicious"}, P{"trojan"},
};
constexpr std::array kPolicyViolation = {
    P{"policy violation"}, P{"violates our policy"}, P{"by policy"}, P{"policy reasons"},
    P{"due to policy"}, P{"local policy"}, P{"email policy"}, P{"our policy"}, P{"mail policy"},
    P{"rejected for policy"}, P{"message rejected due to"}, P{"prohibited content"},
    P{"attachment is not allowed"}, P{"content presents a potential"}, P{"contains a prohibited"},
};
constexpr std::array kSpeeding = {
    P{"rate limit"}, P{"rate-limit"}, P{"ratelimit"}, P{"too many messages"}, P{"too fast"},
    P{"sending too much"}, P{"unusual rate"}, P{"try again later"}, P{"throttl"},
    P{"receiving mail at a rate"}, P{"exceeded the rate"}, P{"too many emails"},
};
constexpr std::array kTooManyConn = {
    P{"too many connections"}, P{"too many recipients"}, P{"connection rate limit"}, P{"frequency limited"}, P{"too many concurrent"}, P{"too many simultaneous"},
    P{"connection count"}, P{"too many smtp sessions"}, P{"connection limit"}, P{"too many sessions"},
};
constexpr std::array kBlocked = {
    P{"blocked"}, P{"blacklist"}, P{"blocklist"}, P{"block list"}, P{"black list"}, P{"denylist"},
    P{"client host rejected"}, P{"dnsbl"}, P{"rbl"}, P{"spamhaus"}, P{"spamcop"}, P{"sorbs"},
    P{"is listed"}, P{"listed in"}, P{"your ip"}, P{"ip address"}, P{"connection refused"},
    P{"please use the smtp server of your isp"}, P{"dynamic ip"}, P{"dial-up"}, P{"dialup"},
    P{"residential"}, P{"not allowed to connect"}, P{"access denied for"}, P{"rejected by dnsbl"},
    P{"refused - "}, P{"client not authorized"}, P{"blacklisted"}, P{"your server"},
    P{"has been blocked"}, P{"service refuse"}, P{"banned sending ip"}, P{"refused to talk to me"}, P{"banned ip"}, P{"ip banned"}, P{"poor ip"},
};
constexpr std::array kSystemFull = {
    P{"mail system full"}, P{"disk full"}, P{"insufficient system storage"}, P{"requested mail action aborted: exceeded storage"},
    P{"out of disk"},
};
constexpr std::array kNotAccept = {
    P{"does not accept mail"}, P{"doesn't receive email"}, P{"indicated no smtp service"},
    P{"couldn't find a mail exchanger"}, P{"null mx"}, P{"accepts no mail"}, P{"not accepting mail"},
    P{"no mail accepted"}, P{"mail receiving disabled"}, P{"not accept any mail"},
};
constexpr std::array kSecurityError = {
    P{"authentication required"}, P{"authentication failed"}, P{"security"}, P{"tls required"},
    P{"must issue a starttls"}, P{"encryption required"}, P{"not authorized"}, P{"not allowed"},
    P{"unauthorized"}, P{"access denied"}, P{"permission denied"}, P{"authentication is required"}, P{"need authentication"},
};
constexpr std::array kNetworkError = {
    P{"could not connect"}, P{"network is unreachable"}, P{"mail loops back"},
    P{"mail for * loops back to myself"}, P{"routing loop"}, P{"too many hops"}, P{"hop count exceeded"},
    P{"loop detected"}, P{"mail loop"}, P{"unable to connect"}, P{"connection reset"}, P{"lost connection"},
    P{"name server"}, P{"host is unreachable"}, P{"unreachable"}, P{"network error"}, P{"dns error"},
    P{"name service error"}, P{"host name lookup failure"},
    P{"temporary lookup failure"}, P{"malformed or unexpected name server reply"},
};
constexpr std::array kSystemError = {
    P{"internal error"}, P{"system error"}, P{"server error"}, P{"local error"}, P{"service unavailable"},
    P{"temporarily unavailable"}, P{"server configuration"}, P{"misconfigur"},
    P{"unable to deliver"}, P{"local configuration error"}, P{"system failure"}, P{"input/output error"},
    P{"not responding"}, P{"server is busy"}, P{"transaction failed"}, P{"service currently unavailable"},
    P{"unable to contact"},
};
constexpr std::array kExpired = {
    P{"delivery time expired"}, P{"was aborted after"}, P{"deliver this message after"}, P{"retry timeout exceeded"}, P{"connection timed out"},
    P{"did not accept our requests to connect"}, P{"envelope expired"}, P{"delivery failed * attempts"},
 P{"retry time exceeded"}, P{"retry timeout exceeded"}, P{"has been delayed"},
    P{"message expired"}, P{"message timed out"}, P{"too long in queue"},
    P{"could not be delivered for"}, P{"was not delivered within"}, P{"delivery expired"},
    P{"giving up"}, P{"given up"}, P{"gave up"}, P{"retry period"}, P{"deferred"}, P{"delayed"},
    P{"has not yet been delivered"}, P{"not been delivered for"}, P{"still could not be delivered"},
    P{"could not be delivered within"}, P{"undeliverable for"},
};
constexpr std::array kMailerError = {
    P{"x-unix"}, P{"exit status"}, P{"mailer error"}, P{"command died"},
    P{"procmail"}, P{"pipe to |"}, P{"local delivery failed"}, P{"error in maildrop"},
    P{"command output"}, P{"unknown mailer error"}, P{"exited with"},
};
constexpr std::array kSyntaxError = {
    P{"syntax error"}, P{"command unrecognized"}, P{"command not recognized"}, P{"unrecognized command"},
    P{"bad sequence of commands"}, P{"improper sequence of commands"}, P{"command not implemented"}, P{"parameter not implemented"},
};

constexpr std::array kTable = {
    ReasonPhrases{"mailboxfull", kMailboxFull},
    ReasonPhrases{"mesgtoobig", kMesgTooBig},
    ReasonPhrases{"exceedlimit", kExceedLimit},
    ReasonPhrases{"suspend", kSuspend},
    ReasonPhrases{"hasmoved", kHasMoved},
    ReasonPhrases{"norelaying", kNoRelaying},
    ReasonPhrases{"authfailure", kAuthFailure},
    ReasonPhrases{"userunknown", kUserUnknown},
    ReasonPhrases{"filtered", kFiltered},
    ReasonPhrases{"requireptr", kRequirePtr},
    ReasonPhrases{"notcompliantrfc", kNotCompliantRfc},
    ReasonPhrases{"badreputation", kBadReputation},
    ReasonPhrases{"contenterror", kContentError},
    ReasonPhrases{"rejected", kRejected},
    ReasonPhrases{"hostunknown", kHostUnknown},
    ReasonPhrases{"virusdetected", kVirusDetected},
    ReasonPhrases{"spamdetected", kSpamDetected},
    ReasonPhrases{"policyviolation", kPolicyViolation},
    ReasonPhrases{"speeding", kSpeeding},
    ReasonPhrases{"toomanyconn", kTooManyConn},
    ReasonPhrases{"blocked", kBlocked},
    ReasonPhrases{"systemfull", kSystemFull},
    ReasonPhrases{"notaccept", kNotAccept},
    ReasonPhrases{"networkerror", kNetworkError},
    ReasonPhrases{"mailererror", kMailerError},
    ReasonPhrases{"securityerror", kSecurityError},
    ReasonPhrases{"expired", kExpired},
    ReasonPhrases{"syntaxerror", kSyntaxError},
    ReasonPhrases{"systemerror", kSystemError},
};

}  // namespace

std::span<const ReasonPhrases> reasonPhraseTable() { return kTable; }

bool phraseMatches(std::string_view lower_text, std::string_view phrase) {
  std::size_t from = 0;
  while (true) {
    std::size_t star = phrase.find('*');
    std::string_view fragment = phrase.substr(0, star);
    std::size_t at = lower_text.find(fragment, from);
    if (at == std::string_view::npos) return false;
    if (star == std::string_view::npos) return true;
    from = at + fragment.size();
    phrase = phrase.substr(star + 1);
    if (!phrase.empty() && phrase.front() == ' ' && fragment.empty()) phrase.remove_prefix(1);
  }
}

bool textHasReason(std::string_view lower_text, std::string_view reason) {
  for (const ReasonPhrases& entry : kTable) {
    if (entry.reason != reason) continue;
    for (std::string_view phrase : entry.phrases) {
      if (phraseMatches(lower_text, phrase)) return true;
    }
  }
  return false;
}

}  // namespace waybill::dsn
