// BounceClassifier and the small parsers it relies on: table-driven.
#include "dsn/bounce_classifier.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "dsn/bounce_reader.h"
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

// One failed recipient of `c` classified, with the reply code its table gives: reason and
// hard/soft must be the case's.
void expectClassified(const Case& c, std::string_view reply_code = "") {
  RecipientResult r;
  r.status = c.status;
  r.diagnostic = c.diagnostic;
  r.smtp_command = c.command;
  r.reply_code = reply_code;
  r.action = "failed";
  classifyRecipient(r);
  EXPECT_EQ(r.reason, c.reason) << c.diagnostic;
  EXPECT_EQ(r.hard_bounce, c.hard) << c.diagnostic;
}

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
      // Dovecot's LDA starts its refusal "Your message to <a@b> ..."; go-sisimai's lda names it by
      // either marker (checked against go-sisimai on a constructed Postfix notice).
      {"5.7.1", "554 5.7.1 Your message to <a@b.example> was rejected as spam", "DATA", "mailererror", false},
      // go-sisimai's phrase lists, checked against it on constructed Postfix notices (status 5.0.0,
      // so the words decide): "size limit" is a message-size refusal; a sentence that goes on from
      // the sender to its IP or to a blocklist listing names the host or a spam verdict, not the
      // envelope sender; spam named in the reply's own words is spam.
      {"5.0.0", "552 5.0.0 Message exceeds size limit", "", "mesgtoobig", false},
      {"5.0.0", "550 5.0.0 We do not accept mail from dynamic IPs", "", "blocked", false},
      {"5.0.0", "550 5.0.0 Bad sender IP address 192.0.2.1", "", "blocked", false},
      {"5.0.0", "550 5.0.0 Sender domain listed at dbl.spamhaus.org", "", "spamdetected", false},
      {"5.0.0", "550 5.0.0 Blocked by policy: No spam please", "", "spamdetected", false},
      {"5.0.0", "553 5.0.0 Blocked for abuse. See http://att.net/blocks", "", "spamdetected", false},
      {"5.0.0", "550 5.0.0 Please see http://mail.163.com/help/help_spam_16.htm", "", "spamdetected", false},
      {"5.0.0", "550 5.0.0 Please see http://spf.pobox.com/why.html", "", "authfailure", false},
      {"5.0.0", "550 5.0.0 Message refused. https://support.google.com/mail/?p=RfcMessageNonCompliant", "",
       "notcompliantrfc", false},
      // Phrases aligned with go-sisimai's tables on constructed Postfix reports (no decisive code).
      {"5.0.0", "550 192.0.2.1 is not allowed to send mail from example.com", "RCPT", "blocked", false},
      {"5.0.0", "552 Message too large", "DATA", "exceedlimit", false},
      {"5.0.0", "554 Message rejected: Email address is not verified. The following identities failed", "",
       "norelaying", false},
      {"5.0.0", "554 Message rejected: Email address is not verified", "", "rejected", false},
      {"5.0.0", "550 No MX record found for domain=example.net", "RCPT", "notaccept", true},
      {"5.0.0", "550 Recipient refuses to accept your mail", "RCPT", "userunknown", true},
      {"5.0.0", "550 Mailbox does not exist.", "RCPT", "userunknown", true},
      {"5.0.0", "550 Sorry, blocked by SpamAssassin", "RCPT", "spamdetected", false},
  };
  for (const Case& c : cases) expectClassified(c);
}

// Only a delivery program's failure (x-unix; Postfix's own x-postfix) is mailererror by its type; a
// local reply written "X-LOCAL; 500 (err.nosuchuser)" names nothing (go-sisimai's reason.Find).
TEST(BounceClassifier, OnlyADeliveryProgramsFailureIsAMailerError) {
  RecipientResult local;
  local.diagnostic_type = "x-local";
  local.diagnostic = "500 (err.nosuchuser)";
  local.action = "failed";
  classifyRecipient(local);
  EXPECT_EQ(local.reason, "onhold");
  RecipientResult program = local;
  program.reason.clear();
  program.diagnostic_type = "x-unix";
  program.diagnostic = "procmail exited 1";
  classifyRecipient(program);
  EXPECT_EQ(program.reason, "mailererror");
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
  for (const Case& c : cases) expectClassified(c, c.diagnostic.find("550") != std::string_view::npos ? "550" : "");
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
      // 5.1.1 names an unknown address even at MAIL FROM; the sender's words make it rejected
      // (both checked against go-sisimai on constructed Postfix notices).
      {"5.1.1", "550 5.1.1 <s@example.org>: unknown account", "MAIL", "userunknown", true},
      {"5.1.8", "553 5.1.8 <s@example.org>: Domain of sender address does not exist", "MAIL", "rejected", false},
  };
  for (const Case& c : cases) expectClassified(c, c.diagnostic.substr(0, 3));
}

// Providers whose rules go-sisimai keeps per remote host (rhost), each answer checked against
// go-sisimai on a constructed notice: NTT DOCOMO reads its bare status codes, then its wording,
// then 5.0.0 by the command; MessageLabs names its own refusals; Spectrum's AUP# codes name one
// reason per code or range, as Cox's IPBL (listed IP) and URLBL (listed URL) codes do; a Hotmail
// address is read by the Outlook table (its domain first), where Microsoft's "mailbox cannot be
// accessed" means nothing.
TEST(BounceClassifier, RemoteProvidersReadByTheirOwnTables) {
  struct ProviderCase {
    std::string_view recipient, remote_mta, status, diagnostic, command, reason;
  };
  const ProviderCase cases[] = {
      {"", "mfsmax.docomo.ne.jp", "5.0.0", "550 Unknown user user@docomo.example", "RCPT", "userunknown"},
      {"", "mfsmax.docomo.ne.jp", "5.0.0", "550 Unknown user user@docomo.example", "DATA", "rejected"},
      {"", "mfsmax.docomo.ne.jp", "5.0.0", "552 Too many recipients", "RCPT", "toomanyconn"},
      {"", "mfsmax.docomo.ne.jp", "5.0.0", "552 too much mail data", "DATA", "mailboxfull"},
      {"", "mfsmax.docomo.ne.jp", "5.2.0", "550 5.2.0 Message rejected", "DATA", "filtered"},
      {"", "cluster1.eu.messagelabs.com", "5.7.1", "550 5.7.1 No such user", "RCPT", "userunknown"},
      {"", "cluster1.eu.messagelabs.com", "5.7.1",
       "553-you are trying to use me as a relay. Please turn on SMTP Authentication in your mail client", "RCPT",
       "securityerror"},
      {"user@charter.net", "mx.charter.net", "5.0.0", "554 5.0.0 Sorry, message refused AUP#1530", "", "mesgtoobig"},
      {"user@charter.net", "mx.charter.net", "5.0.0", "554 5.0.0 Sorry, your mail was refused. AUP#1310", "",
       "toomanyconn"},
      {"user@cox.net", "cxr.mx.a.cloudfilter.net", "5.0.0", "554 5.0.0 192.0.2.1 has been blocked. AUP#IPBL0010",
       "", "blocked"},
      {"user@cox.net", "cxr.mx.a.cloudfilter.net", "5.0.0", "554 5.0.0 URL found on blocklist. AUP#URLBL011", "",
       "spamdetected"},
      {"user@hotmail.com", "hotmail-com.olc.protection.outlook.com", "5.0.0", "550 5.0.0 The mailbox cannot be accessed",
       "", "onhold"},
      {"user@outlook.com", "outlook-com.olc.protection.outlook.com", "5.2.1", "550 5.2.1 The mailbox cannot be accessed",
       "", "suspend"},
  };
  for (const ProviderCase& c : cases) {
    RecipientResult r;
    r.recipient = c.recipient;
    r.remote_mta = c.remote_mta;
    r.status = c.status;
    r.diagnostic = c.diagnostic;
    r.smtp_command = c.command;
    r.reply_code = c.diagnostic.substr(0, 3);
    r.action = "failed";
    classifyRecipient(r);
    EXPECT_EQ(r.reason, c.reason) << c.remote_mta << ": " << c.diagnostic;
  }
}

// A code naming an unknown host beside a failed lookup's or route's words is that failure
// (go-sisimai declines its HostUnknown probe, then names networkerror); a plain "Host unknown"
// with the resolver's note stays hostunknown. Checked against go-sisimai on constructed notices.
TEST(BounceClassifier, AnUnknownHostCodeBesideALookupFailureIsANetworkError) {
  const Case cases[] = {
      {"5.1.2", "550 5.1.2 Host name lookup failure for example.net", "", "networkerror", false},
      {"5.1.2", "554 5.1.2 Too many hops for example.net", "", "networkerror", false},
      {"5.4.4", "550 5.4.4 Unrouteable mail domain example.net", "", "networkerror", false},
      {"5.1.2", "550 5.1.2 Domain does not exist; no route to host", "", "networkerror", false},
      {"5.1.2", "550 5.1.2 Host unknown (Name server: example.net: host not found)", "", "hostunknown", true},
  };
  for (const Case& c : cases) expectClassified(c, c.diagnostic.substr(0, 3));
}

// A writer's own system-error verdict is not overturned by relaying words in it (go-sisimai's
// NoRelaying probe declines there); checked against go-sisimai on a constructed Exim notice.
TEST(BounceClassifier, AWritersSystemErrorKeepsItsRelayingWords) {
  RecipientResult r;
  r.diagnostic = "local delivery failed: relay access denied";
  r.action = "failed";
  classifyRecipient(r, "exim");
  EXPECT_EQ(r.reason, "systemerror");
}

// qmail-ldap names its own failures; they say why a message then stayed queued too long (go-sisimai's
// qmail decoder reads them before "in the queue too long"; checked on constructed qmail notices).
TEST(BounceClassifier, QmailLdapFailuresBeforeTheQueueTimeout) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"Mailaddress is administrativly disabled. (#5.2.1)", "suspend"},
      {"Temporary failure in LDAP lookup. (#4.4.3)I'm not going to try again; this message has been in the queue too long.",
       "systemerror"},
      {"Connected to 192.0.2.1 but connection died. I'm not going to try again; this message has been in the queue too long.",
       "expired"},
  };
  for (const auto& [text, reason] : cases) {
    RecipientResult r;
    r.diagnostic = text;
    r.action = "failed";
    classifyRecipient(r, "qmail");
    EXPECT_EQ(r.reason, reason) << text;
  }
}

// A provider's rules also apply to a report its own servers wrote (go-sisimai's rhost.Name tries the
// local host after the recipient's domain and the remote host); from elsewhere the text alone decides.
TEST(BounceClassifier, ProviderRulesApplyToTheProvidersOwnReports) {
  RecipientResult r;
  r.recipient = "reader@example.net";
  r.diagnostic = "550 Mail is rejected by recipients";
  r.smtp_command = "RCPT";
  r.action = "failed";
  RecipientResult from_elsewhere = r;
  classifyRecipient(r, "", "mx3.qq.com");
  EXPECT_EQ(r.reason, "rejected");
  classifyRecipient(from_elsewhere, "", "mx.example.org");
  EXPECT_NE(from_elsewhere.reason, "rejected");
}

TEST(BounceReader, ATextBouncesWriterIsItsTopReceivedSender) {
  const std::string bounce =
      "Received: from mx3.qq.com (mx3.qq.com [192.0.2.3]) by mx.example.com with ESMTP; 3 Dec 2026 10:00:00 +0000\n"
      "From: MAILER-DAEMON@qq.com\nTo: list@example.com\nSubject: Undelivered Mail Returned to Sender\n\n"
      "This is the mail system at host mx3.qq.com.\n\nI'm sorry to have to inform you that your message could not\n"
      "be delivered to one or more recipients.\n\n"
      "<reader@example.net>: host mx.example.net[192.0.2.9] said: 550 Mail is rejected by recipients (in reply to RCPT TO command)\n";
  BounceReport report = readBounce(bounce);
  ASSERT_EQ(report.results.size(), 1u);
  EXPECT_EQ(report.results[0].reason, "rejected");
}

// Google Workspace names a null MX in its own words; that verdict is notaccept even though its notice
// also says "the remote server is misconfigured" (go-sisimai's GoogleWorkspace decoder).
TEST(BounceClassifier, GoogleWorkspaceNullMxIsNotAccept) {
  RecipientResult r;
  r.diagnostic = "Your message couldn't be delivered to example.com because the remote server is misconfigured. "
                 "The response was: The domain example.com does not accept email (Null MX).";
  r.status = "5.0.0";
  r.action = "failed";
  classifyRecipient(r, "gmail");
  EXPECT_EQ(r.reason, "notaccept");
  EXPECT_TRUE(r.hard_bounce);
}

// qmail's own decoder names only "no mailbox here by that name" an unknown address; another "does
// not exist" in its notice, with no SMTP command, is what a local filter or delivery agent said
// (sisimai's Filtered probe), and a 5.1.1 or a RCPT still names the address.
TEST(BounceClassifier, QmailNamesUnknownAddressesOnlyInItsOwnWords) {
  const std::tuple<std::string_view, std::string_view, std::string_view> cases[] = {
      {"user does not exist, but will deliver to /home/vpopmail/domains/example.net/x/\nsystem error", "", "filtered"},
      {"Sorry, no mailbox here by that name. (#5.1.1)", "", "userunknown"},
      {"192.0.2.1 does not like recipient.\nRemote host said: 550 User does not exist", "RCPT", "userunknown"},
  };
  for (const auto& [text, command, reason] : cases) {
    RecipientResult r;
    r.diagnostic = text;
    r.smtp_command = command;
    r.action = "failed";
    classifyRecipient(r, "qmail");
    EXPECT_EQ(r.reason, reason) << text;
  }
}

// Exim's delay warnings and frozen messages say the delivery has not happened yet: expired
// (go-sisimai's Exim decoder, its "delayedfor" sentences; checked on constructed warnings).
TEST(BounceClassifier, EximsDelayWarningsAreExpired) {
  for (std::string_view text : {"Message 1abc-0001 has been frozen by the system filter. No action is required on your part.",
                                "Delay reason: SMTP error from remote mail server after end of data"}) {
    RecipientResult r;
    r.diagnostic = text;
    r.action = "failed";
    classifyRecipient(r, "exim");
    EXPECT_EQ(r.reason, "expired") << text;
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
      {"statusFromDiagnostic", statusFromDiagnostic, "5.1.0 - Unknown address error 550-\"5.1.1 The account does not exist", "5.1.1"},
      {"statusFromDiagnostic", statusFromDiagnostic, "5.0.0 delivery failed; the server said 4.2.2 over quota", "4.2.2"},
      {"statusFromDiagnostic", statusFromDiagnostic, "5.7.1 refused, see 5.1.0", "5.7.1"},
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
