// The layout readers: Sendmail transcripts, SMTP commands named across folded lines or by
// qmail-remote's sentences, labelled reply codes, source routes, who wrote a bounce, and the
// notice layouts of Notes, fml, MailFoundry, InterMail and Postfix's template.
#include <gtest/gtest.h>

#include "dsn/bounce_classifier.h"
#include "dsn/bounce_phrases.h"
#include "dsn/bounce_reader.h"
#include "dsn/dsn_parser.h"
#include "dsn/reporting_mta.h"
#include "dsn/text_bounce.h"

namespace waybill::dsn {
namespace {

const char* kTranscript =
    "   ----- Transcript of session follows -----\n"
    "While talking to mx.example.org:\n"
    ">>> DATA\n"
    "<<< 550 You cannot send mail to yourself\n"
    "While talking to mail.example.net:\n"
    ">>> RCPT To:<mike@example.net>\n"
    "<<< 550 Requested mailbox not found\n"
    "550 <mike@example.net>... User unknown\n"
    "<ann@example.com>... Deferred: Name server: example.com.: host name lookup failure\n"
    "\n"
    "   ----- Unsent message follows -----\n";

TEST(Layout, TranscriptLinesAboutOneRecipient) {
  EXPECT_EQ(transcriptAbout(kTranscript, "mike@example.net"),
            "550 Requested mailbox not found 550 <mike@example.net>... User unknown");
  EXPECT_EQ(transcriptAbout(kTranscript, "ann@example.com"),
            "<ann@example.com>... Deferred: Name server: example.com.: host name lookup failure");
  EXPECT_EQ(transcriptAbout(kTranscript, "nobody@example.org"), "");
  EXPECT_EQ(transcriptReplies("----- Transcript of session follows -----\n451 4.0.0 Operating system error\n"
                              "Warning: message still undelivered after 4 hours\n\n"),
            "451 4.0.0 Operating system error");
}

TEST(Layout, CommandPerRecipientInATranscript) {
  EXPECT_EQ(commandForRecipient(kTranscript, "mike@example.net"), "RCPT");
  EXPECT_EQ(commandForRecipient(kTranscript, "ann@example.com"), "");
}

TEST(Layout, CommandsNamedAcrossFoldedLinesAndByQmail) {
  EXPECT_EQ(findSmtpCommand("<a@b.example>: Recipient address rejected. (in reply to RCPT\n    TO command)"), "RCPT");
  EXPECT_EQ(findSmtpCommand("Connected to 192.0.2.1 but sender was rejected.\nRemote host said: 553 sorry"), "MAIL");
  EXPECT_EQ(findSmtpCommand("Connected to 192.0.2.1 but my name was rejected."), "HELO");
}

TEST(Layout, ReplyCodesAfterALabelButNotInsideNumbers) {
  EXPECT_EQ(findReplyCode("Invalid Address, ERROR_CODE :550, ERROR_CODE :5.2.1"), "550");
  EXPECT_EQ(findReplyCode("at 12:550 nothing"), "");
  EXPECT_EQ(findReplyCode("525 5.7.13 Disabled recipient address"), "525");
}

TEST(Layout, SourceRoutedAddressesNameTheMailbox) {
  EXPECT_EQ(addressFromTypedField("rfc822; <@relay.example.net:user@example.org>"), "user@example.org");
  EXPECT_EQ(addressFromTypedField("rfc822; user@example.org"), "user@example.org");
}

TEST(Layout, ReportingMtaFromHeadersThenSentences) {
  MimeEntity exim = parseMime("From: Mail Delivery System <Mailer-Daemon@x.example>\nX-Failed-Recipients: a@b.example\n\nhi\n");
  EXPECT_EQ(detectReportingMta(exim, "anything"), "exim");
  MimeEntity plain = parseMime("From: MAILER-DAEMON@x.example\n\nbody\n");
  EXPECT_EQ(detectReportingMta(plain, "This is the mail system at host mx.example.\n"), "postfix");
  EXPECT_EQ(detectReportingMta(plain, "Hi. This is the qmail-send program at mx.example.\n"), "qmail");
  EXPECT_EQ(detectReportingMta(plain, "Delivery has failed to these recipients or groups:\n"), "exchange");
  EXPECT_EQ(detectReportingMta(plain, "Your mail could not be delivered.\n"), "");
  // Gmail's notices carry X-Failed-Recipients too; its sender says who wrote them.
  MimeEntity gmail = parseMime("From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n"
                               "X-Failed-Recipients: a@b.example\n\nhi\n");
  EXPECT_EQ(detectReportingMta(gmail, "anything"), "gmail");
}

TEST(Layout, GmailSessionStateDecidesUnlessAStatusCodeIsSpecific) {
  const char* state18 = "The error that the other server returned was: 554 554 5.7.0 Header error (state 18).";
  EXPECT_EQ(mtaVerdict("gmail", "554 5.7.0 header error (state 18)."), "filtered");
  RecipientResult r;
  r.status = "5.7.0";
  r.diagnostic = state18;
  classifyRecipient(r, "gmail");
  EXPECT_EQ(r.reason, "filtered");
  RecipientResult full;
  full.status = "5.2.2";
  full.diagnostic = "550 550 5.2.2 <a@b.example>... Mailbox Full (state 14).";
  classifyRecipient(full, "gmail");
  EXPECT_EQ(full.reason, "mailboxfull");
}

TEST(Layout, AReportingMtasOwnMessagesDecideOnlyForThatMta) {
  EXPECT_EQ(mtaVerdict("exim", "a@b.example: unrouteable address"), "hostunknown");
  EXPECT_EQ(mtaVerdict("qmail", "sorry, no mailbox here by that name. (#5.1.1)"), "userunknown");
  EXPECT_EQ(mtaVerdict("postfix", "a@b.example: unrouteable address"), "");
  EXPECT_EQ(mtaVerdict("", "unrouteable address"), "");
}

TEST(Layout, ProviderRulesApplyToThatProvidersServersOnly) {
  EXPECT_EQ(providerForHost("mx1.eur.prod.protection.outlook.com"), "microsoft");
  EXPECT_EQ(providerForHost("gmail-smtp-in.l.google.com"), "google");
  EXPECT_EQ(providerForHost("gmail.com"), "google");
  EXPECT_EQ(providerForHost("notgmail.com"), "");
  EXPECT_EQ(providerRule("google", "421-4.7.28 an unusual rate of unsolicited mail originating from your ip"), "blocked");
  EXPECT_EQ(providerRule("microsoft", "421-4.7.28 an unusual rate of unsolicited mail originating from your ip"), "");
  RecipientResult r;
  r.recipient = "someone@example.org";
  r.remote_mta = "example-org.mail.protection.outlook.com";
  r.status = "5.7.1";
  r.diagnostic = "550 5.7.1 Service unavailable, Client host [192.0.2.1] blocked using Spamhaus; "
                 "access denied, spam abuse detected";
  classifyRecipient(r);
  EXPECT_EQ(r.reason, "rejected");  // Microsoft's table: the sender, not the client IP
}

TEST(Layout, ProvidersOwnErrorCodesAndReplyCodedPhrases) {
  EXPECT_EQ(providerForHost("smtp-in.orange.fr"), "franceptt");
  EXPECT_EQ(providerForHost("wanadoo.fr"), "franceptt");
  EXPECT_EQ(providerRule("franceptt", "550 5.5.0 adresse destinataire invalide. invalid recipient. lpn007_416"),
            "userunknown");
  EXPECT_EQ(providerRule("franceptt", "421 4.2.0 service refuse. service refused, please try later. ofr005_505 [505]"),
            "systemerror");
  EXPECT_EQ(providerRule("franceptt", "501 5.1.0 emetteur invalide. invalid sender. ofr004_405 [405]"), "rejected");
  EXPECT_EQ(providerRule("franceptt", "421 service refused. lpn105_424"), "");  // a code without a meaning
  EXPECT_EQ(providerRule("google", "550 invalid recipient. lpn007_416"), "");
  EXPECT_EQ(providerRule("godaddy", "554 rejected ib212 - spam"), "spamdetected");
  EXPECT_EQ(providerRule("cox", "554 rejected. aup#cxbl"), "blocked");
  EXPECT_EQ(providerForHost("service222.mimecast.com"), "mimecast");
  EXPECT_EQ(providerRule("mimecast", "554 email rejected due to security policies - mcspamsignature", "554"),
            "virusdetected");
  EXPECT_EQ(providerRule("mimecast", "550 email rejected due to security policies", "550"), "");
}


// The first reply of each recipient read, with what the bounce names as its writer.
RecipientResult onlyResult(const std::string& message, std::string* family = nullptr) {
  BounceReport report = readBounce(message);
  if (family != nullptr) *family = report.mta_family;
  EXPECT_EQ(report.results.size(), 1u) << message;
  return report.results.empty() ? RecipientResult{} : report.results[0];
}

// Lotus/HCL Notes writes its reason above the address, then "------- Returned Message --------".
TEST(Layout, NotesFailureReasonsAboveTheAddress) {
  const std::string notice =
      "From: Postmaster <postmaster@notes.example.jp>\nTo: sender@example.org\nSubject: Undeliverable message\n\n"
      "------- Failure Reasons  --------\n\nREASON\nkijitora@notes.example.jp\n\n"
      "------- Returned Message --------\nFrom: sender@example.org\nTo: kijitora@notes.example.jp\n"
      "Subject: which may say mailbox is full\n\nhello\n";
  auto with = [&](const std::string& reason) {
    std::string m = notice;
    return m.replace(m.find("REASON"), 6, reason);
  };
  std::string family;
  EXPECT_EQ(onlyResult(with("User not listed in public Name & Address Book"), &family).reason, "userunknown");
  EXPECT_EQ(family, "notes");
  EXPECT_EQ(onlyResult(with("Message has exceeded maximum hop count")).reason, "networkerror");
}

// fml (a mailing list manager) answers a post from a non-member; its X-MLServer header names it.
TEST(Layout, FmlRefusesPostsFromNonMembers) {
  std::string family;
  RecipientResult r = onlyResult(
      "From: neko-admin@example.jp\nTo: kijitora@example.org\n"
      "Subject: NOT MEMBER article from kijitora@example.org (ML neko)\n"
      "Message-Id: <202311232019.FMLAAB12345.neko@example.jp>\nX-MLServer: fml [fml 4.0.3 release]\n\n"
      "You are not a member of this mailing list <neko@example.jp>.\n\n"
      "Original mail as follows:\n\nFrom: kijitora@example.org\nTo: neko@example.jp\nSubject: mailbox full\n\nhi\n",
      &family);
  EXPECT_EQ(family, "fml");
  EXPECT_EQ(r.reason, "rejected");
}

// MailFoundry is known by its own Received hop: a known writer whose decoder names no unknown
// users, "no such user" with no command is a filter's answer (sisimai's MailFoundry decoder).
TEST(Layout, MailFoundryByItsReceivedHop) {
  MimeEntity root = parseMime(
      "Received: from mx.example.net by relay.example.org (MAILFOUNDRY) id abc; Thu, 23 Nov 2023 20:19:40 +0900\n"
      "Subject: Message delivery has failed\n\nbody\n");
  EXPECT_EQ(detectReportingMta(root, "Unable to deliver message to: <a@b.example>"), "mailfoundry");
}

// Openwave InterMail labels its human-readable part message/delivery-status too: the fields are in
// the second such part, and the first is the notice's text.
TEST(Layout, InterMailsSecondDeliveryStatusPartHoldsTheFields) {
  RecipientResult r = onlyResult(
      "From: Mail Administrator <Postmaster@ci.example>\nSubject: Mail System Error - Returned Mail\n"
      "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n"
      "--b\nContent-Type: message/delivery-status;\n\n"
      "This Message was undeliverable due to the following reason:\n\n<u@ci.example> has restricted SMS e-mail\n\n"
      "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mta.ci.example\n\n"
      "Final-Recipient: RFC822; <u@ci.example>\nAction: failed\nStatus: 5.3.0\n\n"
      "--b\nContent-Type: message/rfc822\n\nFrom: news@example.com\nTo: u@ci.example\n\nhi\n--b--\n");
  EXPECT_EQ(r.status, "5.3.0");
  EXPECT_EQ(r.reason, "filtered");
}

// Postfix's bounce template opens every notice with the same apology; only the recipient's own
// paragraph ("<a@b>: host ... said: ...") is the diagnostic.
TEST(Layout, PostfixTemplateTextIsNotTheDiagnostic) {
  RecipientResult r = onlyResult(
      "From: MAILER-DAEMON@mailer.example (Mail Delivery System)\nTo: sender@mailer.example\n"
      "Subject: Undelivered Mail Returned to Sender\n\n"
      "This is the mail system at host mailer.example.\n\n"
      "I'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients.\n\n"
      "                   The mail system\n\n"
      "<ware@example.de>: host mx.example.de[192.0.2.9] refused to talk to\n"
      "    me: 554 IP=192.0.2.1 - None/bad reputation.\n");
  EXPECT_EQ(r.diagnostic.find("sorry"), std::string::npos) << r.diagnostic;
  EXPECT_EQ(r.smtp_command, "HELO");
  EXPECT_EQ(r.reason, "badreputation");
}

// iMail (SMTP32) names each recipient in a line of its own; with no reason after it, that line is
// all the notice says about the recipient: some text, nothing that decides (onhold).
TEST(Layout, IMailRecipientLineWithoutAReason) {
  RecipientResult r = onlyResult(
      "From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.com>\nTo: list-admin@example.org\n"
      "Subject: Delivery failure\nX-Mailer: <SMTP32 v7.00>\n\n"
      "undeliverable to someone@mx.example.com\n\n\nOriginal message follows.\n\n"
      "Received: from relay.example.org by mx.example.com\nFrom: list@example.org\nTo: someone@mx.example.com\n"
      "Subject: hello\n\nhi\n");
  EXPECT_EQ(r.recipient, "someone@mx.example.com");
  EXPECT_NE(r.diagnostic.find("undeliverable to"), std::string::npos) << r.diagnostic;
  EXPECT_EQ(r.reason, "onhold");
}

// au by KDDI marks a notice about mail its spam filter refused "X-SPASIGN: NG": filtered, whatever
// its text says; without the mark the text decides (both checked against go-sisimai).
TEST(Layout, KddiSpamFilterMarkIsFiltered) {
  const std::string notice =
      "MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\n"
      "Your mail sent on: Thu, 23 Nov 2023 20:19:38 +0900\nCould not be delivered to: <user@ezweb.ne.jp>\n"
      "As their mailbox is full.\n";
  const std::string head = "From: no-reply@.dion.ne.jp\nTo: sender@example.org\nSubject: Mail System Error - Returned Mail\n";
  EXPECT_EQ(onlyResult(head + "X-SPASIGN: NG\n" + notice).reason, "filtered");
  EXPECT_EQ(onlyResult(head + "X-SPASIGN: OK\n" + notice).reason, "mailboxfull");
}

// Exchange 2000/2003 is known by its own headers (X-MS-Embedded-Report, its Internet Mail Service
// in X-Mailer); its "MSEXCH:IMS:... (code)" names the reason (go-sisimai's Exchange2003 decoder;
// both checked against go-sisimai).
TEST(Layout, Exchange2003ByItsHeadersAndErrorCodes) {
  const std::string notice =
      "From: System Administrator <postmaster@example.jp>\nTo: sender@example.org\nSubject: Undeliverable: hello\n"
      "X-MS-Embedded-Report:\nX-Mailer: Internet Mail Service (5.5.2653.19)\nContent-Type: text/plain\n\n"
      "Your message\n\n  To:      kijitora@example.jp\n  Subject: hello\n\n"
      "did not reach the following recipient(s):\n\nkijitora@example.jp on Thu, 29 Apr 2010 23:34:46 +0900\n"
      "    MSEXCH:IMS:KIJITORA CAT:EXAMPLE:EXCHANGE 0 (";
  std::string family;
  EXPECT_EQ(onlyResult(notice + "00050311) Conversion to Internet format failed\n", &family).reason, "contenterror");
  EXPECT_EQ(family, "exchange");
  EXPECT_EQ(onlyResult(notice + "000C0595) Ambiguous Recipient\n").reason, "filtered");
}

}  // namespace
}  // namespace waybill::dsn
