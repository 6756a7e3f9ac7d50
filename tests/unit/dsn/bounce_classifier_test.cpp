// BounceClassifier and the small parsers it relies on: table-driven.
#include "dsn/bounce_classifier.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "dsn/dsn_parser.h"

namespace waybill::dsn {
namespace {

struct Case {
  std::string_view status;
  std::string_view diagnostic;
  std::string_view command;
  std::string_view reason;
  bool hard;
};

TEST(BounceClassifier, MapsCodesAndTextsToSisimaiReasons) {
  const Case cases[] = {
      {"5.1.1", "550 5.1.1 <a@b.example>: Recipient address rejected: User unknown", "RCPT", "userunknown", true},
      {"5.2.2", "552 5.2.2 Mailbox full", "", "mailboxfull", false},
      {"5.7.1", "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org", "", "blocked", false},
      {"5.7.1", "550 5.7.1 Relay access denied", "", "norelaying", false},
      {"4.4.1", "connect to mx.example[192.0.2.2]:25: Connection timed out", "", "expired", false},
      {"5.1.2", "Host or domain name not found", "", "hostunknown", true},
      {"", "550 User unknown", "DATA", "filtered", false},
      {"5.3.4", "552 5.3.4 Message size exceeds fixed limit", "", "mesgtoobig", false},
      {"5.7.26", "550 5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy", "", "authfailure", false},
      {"2.0.0", "250 2.0.0 Ok: queued as 4ABC", "", "delivered", false},
      {"", "", "", "undefined", false},
      // A local delivery agent's own message decides, after the reporting MTA's verdict; an
      // agent that names itself with a message no entry knows is a mailer error.
      {"", "mail.local: Disc quota exceeded", "", "mailboxfull", false},
      {"", "procmail: Quota exceeded while writing \"/var/mail/bob\"", "", "mailboxfull", false},
      {"", "maildrop: Cannot find system user", "", "userunknown", true},
      {"", "vdelivermail: Sorry, no mailbox here by that name. (#5.1.1)", "", "userunknown", true},
      {"", "maildrop: the filter said no to this one", "", "mailererror", false},
  };
  for (const Case& c : cases) {
    RecipientResult r;
    r.status = c.status;
    r.diagnostic = c.diagnostic;
    r.smtp_command = c.command;
    r.action = "failed";
    classifyRecipient(r);
    EXPECT_EQ(r.reason, c.reason) << c.diagnostic;
    EXPECT_EQ(r.hard_bounce, c.hard) << c.diagnostic;
  }
}

// Phrases are matched on the reply as it was sent: a reply folded over indented lines, or a
// multi-line reply joined with its "550-" continuation markers (RFC 5321 4.2.1), still reads as one.
TEST(BounceClassifier, ReadsAReplyAcrossFoldsAndContinuationMarkers) {
  const Case cases[] = {
      {"", "host mx.example[192.0.2.1] said: 550 Mailbox\n    is full (in reply to RCPT TO command)", "RCPT",
       "mailboxfull", false},
      {"", "550-The mail server The account 550-or domain may not exist, they may be blacklisted", "RCPT",
       "hostunknown", true},
      // The resolver's TRY_AGAIN ("Host not found, try again") is a temporary DNS failure ...
      {"", "Name service error for name=example.com type=MX: Host not found, try again", "", "networkerror", false},
      // ... unless Postfix's own verdict that the domain does not exist stands beside it.
      {"", "Host or domain name not found. Name service error for name=example.com type=MX: Host not found, try again",
       "", "hostunknown", true},
      {"", "connect to mx.example[192.0.2.1]:25: No route to host", "", "networkerror", false},
  };
  for (const Case& c : cases) {
    RecipientResult r;
    r.status = c.status;
    r.diagnostic = c.diagnostic;
    r.smtp_command = c.command;
    r.reply_code = c.diagnostic.find("550") != std::string_view::npos ? "550" : "";
    r.action = "failed";
    classifyRecipient(r);
    EXPECT_EQ(r.reason, c.reason) << c.diagnostic;
    EXPECT_EQ(r.hard_bounce, c.hard) << c.diagnostic;
  }
}

// A provider's documented status code pairs with its wording: Microsoft's 5.1.10 is an unknown
// recipient (RFC 3463's 5.1.10 is a null MX); Facebook's own codes name one reason each.
TEST(BounceClassifier, ProviderStatusCodesAndOwnErrorCodes) {
  RecipientResult ms;
  ms.remote_mta = "example-org.mail.protection.outlook.com";
  ms.status = "5.1.10";
  ms.reply_code = "550";
  ms.diagnostic = "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup";
  classifyRecipient(ms);
  EXPECT_EQ(ms.reason, "userunknown");
  RecipientResult fb;
  fb.remote_mta = "smtpin.mx.facebook.com";
  fb.status = "5.0.0";
  fb.diagnostic = "550 5.0.0 POL-P2 Facebook will no longer accept mail from your mail server's IP Address";
  classifyRecipient(fb);
  EXPECT_EQ(fb.reason, "blocked");
}

// An RFC 3464 report from an unrecognised writer, with no command named: "no such user" is a
// filter's answer (sisimai's generic DSN decoder names no unknown users); a text notice's
// explicit verdict still is userunknown.
TEST(BounceClassifier, AnUnknownWritersDsnDoesNotNameUnknownUsers) {
  RecipientResult dsn;
  dsn.diagnostic = "550 No such user here";
  dsn.diagnostic_type = "smtp";
  dsn.reply_code = "550";
  classifyRecipient(dsn);
  EXPECT_EQ(dsn.reason, "filtered");
  RecipientResult text;
  text.diagnostic = "550 No such user here";
  text.reply_code = "550";
  classifyRecipient(text);
  EXPECT_EQ(text.reason, "userunknown");
}

TEST(BounceClassifier, DelayedWithoutDetailIsExpired) {
  RecipientResult r;
  r.action = "delayed";
  r.status = "4.0.0";
  classifyRecipient(r);
  EXPECT_EQ(r.reason, "expired");
  EXPECT_FALSE(r.hard_bounce);
}

// 4.3.0 is "other or undefined mail system status" (RFC 3463): like 4.0.0 it names no reason, so a
// delay with no more telling text is expired, and a 5.3.0 beside a full mailbox is that.
TEST(BounceClassifier, UndefinedMailSystemStatusNamesNoReason) {
  EXPECT_FALSE(isDecisiveStatus("4.3.0"));
  RecipientResult r;
  r.action = "delayed";
  r.status = "4.3.0";
  r.reply_code = "450";
  r.diagnostic = "450 4.3.0 Error: command failed";
  classifyRecipient(r);
  EXPECT_EQ(r.reason, "expired");
}

// Wordings that both sisimai decoders file elsewhere than a generic fragment of ours would.
TEST(BounceClassifier, SpecificSentencesOverGenericFragments) {
  const Case cases[] = {
      // La Poste's inactive mailbox is an address that no longer takes mail (go-sisimai's tables).
      {"4.2.1", "450 4.2.1 <a@laposte.example>: Recipient address rejected: this mailbox is inactive",
       "RCPT", "userunknown", true},
      // A bare "spam filter" / "as spam" is not a spam verdict: the 5.7.1 class decides.
      {"5.7.1", "550 5.7.1 Rejected by spam filter", "DATA", "securityerror", false},
      {"5.7.1", "554 5.7.1 Email cannot be delivered. Reason: Email flagged as Spam.", "RCPT", "securityerror", false},
      {"5.7.1", "550 5.7.1 Message detected as spam", "DATA", "spamdetected", false},
      // A connection limit is toomanyconn, though it says "rate limit".
      {"4.7.0", "421 4.7.0 Connection rate limit exceeded", "", "toomanyconn", false},
      {"4.7.0", "421 4.7.0 Message rate limit exceeded", "", "speeding", false},
      // "Blocked" beside a policy's words is the policy's refusal.
      {"5.7.0", "552 5.7.0 This message was blocked because its content presents a potential security issue", "DATA",
       "policyviolation", false},
      {"5.7.1", "554 5.7.1 Client host blocked", "RCPT", "blocked", false},
  };
  for (const Case& c : cases) {
    RecipientResult r;
    r.status = c.status;
    r.diagnostic = c.diagnostic;
    r.smtp_command = c.command;
    r.reply_code = c.diagnostic.substr(0, 3);
    r.action = "failed";
    classifyRecipient(r);
    EXPECT_EQ(r.reason, c.reason) << c.diagnostic;
    EXPECT_EQ(r.hard_bounce, c.hard) << c.diagnostic;
  }
}

// A delivery command's own output ("Command output: ...", Postfix pipe(8)/local(8)) is read by the
// probes like any other text: a program that could not reach its daemon is a system error.
TEST(BounceClassifier, CommandOutputIsReadByThePhrases) {
  RecipientResult r;
  r.status = "4.0.0";
  r.diagnostic_type = "x-postfix";
  r.diagnostic = "temporary failure. Command output: avpcheck: unable to connect to avp daemon: Connection refused";
  r.action = "failed";
  classifyRecipient(r);
  EXPECT_EQ(r.reason, "systemerror");
}

// Each small parser of free text: what it must find in the text ("" for nothing).
struct TextCase {
  const char* parser;
  std::string (*find)(std::string_view);
  std::string_view text;
  std::string_view found;
};

TEST(DsnText, FindsStatusReplyCodeAndCommand) {
  const TextCase cases[] = {
      {"statusFromDiagnostic", statusFromDiagnostic, "5.1.0 - Unknown address error 550-'5.7.1 <x@y>... Access denied'", "5.7.1"},
      {"findStatusCode", findStatusCode, "host 192.0.2.1 said: 550 5.1.1 nope", "5.1.1"},
      {"findStatusCode", findStatusCode, "version 1.2.3.4", ""},
      {"findReplyCode", findReplyCode, "host mx.example[192.0.2.1] said: 550 5.1.1 nope", "550"},
      {"findReplyCode", findReplyCode, "501: 5.1.8 Sender address rejected", "501"},
      {"findReplyCode", findReplyCode, "id 522 is not a reply code", ""},
      {"findFailureReplyCode", findFailureReplyCode, " 220 mx ready\n 250 Sender ok\n 552 over quota", "552"},
      {"findReplyCode", findReplyCode, " 220 mx ready\n 552 over quota", "220"},
      {"findSmtpCommand", findSmtpCommand, "550 nope (in reply to RCPT TO command)", "RCPT"},
      {"findSmtpCommand", findSmtpCommand, ">>> DATA\n<<< 554 5.7.1 rejected\n", "DATA"},
      {"findSmtpCommand", findSmtpCommand, "host mx.example[192.0.2.1] refused to talk to me: 554 go away", "HELO"},
      {"addressFromTypedField", addressFromTypedField, "rfc822; <Ann@Example.com>", "Ann@Example.com"},
  };
  for (const TextCase& c : cases) EXPECT_EQ(c.find(c.text), c.found) << c.parser << "(\"" << c.text << "\")";
}

TEST(DsnParser, SplitsRecipientsWithoutBlankLinesAndKeepsFieldOrder) {
  DeliveryStatusFields f = parseDeliveryStatus(
      "Reporting-MTA: dns; mx.example\n\n"
      "Diagnostic-Code: smtp; 550 5.1.1 unknown\n"  // before Final-Recipient, as Facebook writes it
      "Final-Recipient: rfc822; a@example.com\nAction: failed\nStatus: 5.1.1\n"
      "Final-Recipient: rfc822; b@example.com\nOriginal-Recipient: rfc822; c@example.com\n"
      "Action: delayed\nStatus: 4.4.1 (connection timed out)\n");
  EXPECT_EQ(f.reporting_mta, "mx.example");
  ASSERT_EQ(f.recipients.size(), 2u);
  EXPECT_EQ(f.recipients[0].recipient, "a@example.com");
  EXPECT_EQ(f.recipients[0].diagnostic, "550 5.1.1 unknown");
  EXPECT_EQ(f.recipients[1].recipient, "b@example.com");
  EXPECT_EQ(f.recipients[1].original_recipient, "c@example.com");
  EXPECT_EQ(f.recipients[1].action, "delayed");
  EXPECT_EQ(f.recipients[1].diagnostic, "(connection timed out)");
}

// NTMail writes an SMTP reply in the Status field; it is the diagnostic unless Diagnostic-Code says more.
TEST(DsnParser, AReplyCodeInTheStatusFieldIsTheDiagnostic) {
  DeliveryStatusFields f = parseDeliveryStatus(R"(Reporting-MTA: dns; mx.example

Final-Recipient: rfc822; a@example.com
Action: failed
Status: 553 Exceeded maximum inbound message size

Final-Recipient: rfc822; b@example.com
Action: failed
Status: 553 too big
Diagnostic-Code: smtp; 552 5.3.4 message too large
)");
  ASSERT_EQ(f.recipients.size(), 2u);
  EXPECT_EQ(f.recipients[0].status, "");
  EXPECT_EQ(f.recipients[0].diagnostic, "553 Exceeded maximum inbound message size");
  EXPECT_EQ(f.recipients[1].diagnostic, "552 5.3.4 message too large");
}

}  // namespace
}  // namespace waybill::dsn
