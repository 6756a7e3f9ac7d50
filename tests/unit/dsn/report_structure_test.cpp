// What kind of message it is, decided by structure before text: ARF complaints (RFC 5965) even
// when a provider labels the report part text/plain, RFC 3834 auto-replies by their headers, and
// bounces that carry auto-reply headers (Exim marks its bounces Auto-Submitted: auto-replied).
// Also: a decisive enhanced status code never yields `onhold`, whatever the text says.
#include <gtest/gtest.h>

#include <string>

#include "dsn/bounce_classifier.h"
#include "dsn/bounce_reader.h"
#include "dsn/mime_lite.h"

namespace waybill::dsn {
namespace {

const char* kArfAsTextPlain =
    "From: staff@fbl.example.net\n"
    "To: fbl@bounces.example.com\n"
    "Subject: complaint about message\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/report; report-type=feedback-report; boundary=\"b1\"\n"
    "\n"
    "--b1\n"
    "Content-Type: text/plain\n"
    "\n"
    "This is an email abuse report. Out of office replies are not handled here.\n"
    "--b1\n"
    "Content-Type: text/plain\n"
    "\n"
    "Feedback-Type: abuse\n"
    "User-Agent: ExampleFBL/1.0\n"
    "Version: 1\n"
    "Original-Rcpt-To: <reader@example.net>\n"
    "--b1\n"
    "Content-Type: text/rfc822-headers\n"
    "\n"
    "From: news@example.com\n"
    "To: reader@example.net\n"
    "--b1--\n";

TEST(ReportStructure, DeclaredFeedbackReportIsAComplaintEvenAsTextPlain) {
  BounceReport report = readBounce(kArfAsTextPlain);
  EXPECT_EQ(report.kind, ReportKind::Complaint);
  ASSERT_EQ(report.results.size(), 1u);
  EXPECT_EQ(report.results[0].reason, "feedback");
  EXPECT_EQ(report.results[0].feedback_type, "abuse");
  EXPECT_EQ(report.results[0].recipient, "reader@example.net");
}

TEST(ReportStructure, FeedbackFieldsQuotedInABounceNoticeAreNoComplaint) {
  // The fields appear in the first (human-readable) part of an undeclared multipart: no ARF.
  std::string message =
      "From: MAILER-DAEMON@mx.example.net\nSubject: Undelivered Mail Returned to Sender\n"
      "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b2\"\n\n"
      "--b2\nContent-Type: text/plain\n\nFeedback-Type: abuse\nUser-Agent: x\n\n"
      "<reader@example.net>: host mx.example.net said: 550 5.1.1 User unknown (in reply to RCPT TO command)\n"
      "--b2--\n";
  EXPECT_NE(readBounce(message).kind, ReportKind::Complaint);
}

TEST(ReportStructure, HotmailComplaintFormatIsAComplaintForTheReportedRecipient) {
  // Hotmail's own format (its Junk Mail Reporting Program before ARF): structure and sender decide.
  const std::string complaint =
      "From: staff@hotmail.com\nSubject: complaint about message from 192.0.2.7\nTo: fbl@example.com\n"
      "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"j1\"\n\n"
      "--j1\nContent-Type: message/rfc822\nContent-Disposition: inline\n\n"
      "X-HmXmrOriginalRecipient: reader@example.net\nFrom: news@example.com\nTo: \"Reader\" <list@example.net>\n"
      "Subject: news\n\nHello\n--j1--\n";
  BounceReport report = readBounce(complaint);
  EXPECT_EQ(report.kind, ReportKind::Complaint);
  ASSERT_EQ(report.results.size(), 1u);
  EXPECT_EQ(report.results[0].reason, "feedback");
  EXPECT_EQ(report.results[0].recipient, "reader@example.net");
  // The same layout from anyone else, or with another subject, is no complaint.
  std::string forged = complaint;
  forged.replace(forged.find("staff@hotmail.com"), 17, "staff@example.org");
  EXPECT_NE(readBounce(forged).kind, ReportKind::Complaint);
  std::string other_subject = complaint;
  other_subject.replace(other_subject.find("complaint about"), 15, "question on the");
  EXPECT_NE(readBounce(other_subject).kind, ReportKind::Complaint);
}

TEST(ReportStructure, UnindentedFoldedHeaderLinesStayInTheHeaderSection) {
  // A writer that folded Received-SPF without indenting: the header section still runs to the
  // first empty line, so the notice's own recipient line is the only recipient.
  const std::string bounce =
      "Return-Path: <>\nReceived-SPF: pass (mx: domain of bounce.example.com designates\n"
      "192.0.2.8 as permitted sender) client-ip=192.0.2.8;\nenvelope-from=postmaster@bounce.example.com;\n"
      "Received: from bounce.example.com\n[192.0.2.8])\nby mx.example.com with ESMTP\n"
      "From: Mail Delivery System <mailer-daemon@example.com>\nTo: list@example.com\n"
      "Subject: Mail delivery failed: returning message to sender\n\n"
      "This message was created automatically by mail delivery software.\n\n"
      "A message that you sent could not be delivered to one or more of\n"
      "its recipients. The following addresses failed:\n\n  <gone@example.net>\n\n"
      "SMTP error from remote server after RCPT command:\nhost mx1.example.net[192.0.2.9]:\n"
      "550 Requested action not taken: mailbox unavailable\n";
  BounceReport report = readBounce(bounce);
  ASSERT_EQ(report.results.size(), 1u);
  EXPECT_EQ(report.results[0].recipient, "gone@example.net");
  EXPECT_EQ(report.results[0].reason, "userunknown");
  // Without a field after it, a line that is no field still starts the body (no blank line).
  std::vector<MimeHeader> headers;
  std::string_view body;
  headers = parseHeaderBlock("Subject: x\nFrom: a@example.com\nHello there\nsecond line\n", &body);
  EXPECT_EQ(headers.size(), 2u);
  EXPECT_EQ(body, "Hello there\nsecond line\n");
}

TEST(ReportStructure, MboxSeparatorsAreFromLinesWithADate) {
  std::vector<std::string> two = splitMbox(
      "From: a@example.com\nSubject: one\n\nbody\n\nFrom MAILER-DAEMON Thu Jul 10 21:37:00 2014\n"
      "From: b@example.com\nSubject: two\n\nbody\n");
  EXPECT_EQ(two.size(), 2u);
  // A quoted message's own "From Name Thu ..." line inside a report is text, not a separator.
  std::vector<std::string> one = splitMbox(
      "From: a@example.com\nSubject: one\n\nbody\n\nFrom Mailing List Name Thu Jul 10 21:37:00 2014\n"
      "X-Apparently-To: b@example.com\n\nbody\n");
  EXPECT_EQ(one.size(), 1u);
}

TEST(ReportStructure, AListOfFailedAddressesIsNoDiagnostic) {
  // Exim's DSN without Diagnostic-Code: its notice only lists the addresses, which say nothing
  // about why, so nothing decides (undefined), not onhold on the address list.
  const std::string dsn =
      "From: Mail Delivery System <Mailer-Daemon@mx.example.org>\nTo: list@example.com\n"
      "Subject: Mail delivery failed: returning message to sender\nMIME-Version: 1.0\n"
      "Content-Type: multipart/report; report-type=delivery-status; boundary=\"e1\"\n\n"
      "--e1\nContent-type: text/plain; charset=us-ascii\n\n"
      "This message was created automatically by mail delivery software.\n\n"
      "A message that you sent could not be delivered to one or more of its\n"
      "recipients. This is a permanent error. The following address(es) failed:\n\n"
      "  one@example.net\n  two@example.net\n\n"
      "--e1\nContent-type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n"
      "Action: failed\nFinal-Recipient: rfc822;one@example.net\nStatus: 5.0.0\n\n"
      "Action: failed\nFinal-Recipient: rfc822;two@example.net\nStatus: 5.0.0\n\n--e1--\n";
  BounceReport report = readBounce(dsn);
  ASSERT_EQ(report.results.size(), 2u);
  for (const RecipientResult& r : report.results) {
    EXPECT_EQ(r.diagnostic, "") << r.recipient;
    EXPECT_EQ(r.reason, "undefined") << r.recipient;
  }
}

TEST(ReportStructure, AutoSubmittedAutoRepliedIsAVacationReply) {
  BounceReport report = readBounce(
      "From: Reader <reader@example.net>\nTo: news@example.com\nSubject: Re: your order\n"
      "Auto-Submitted: auto-replied\n\nI am away until Monday.\n");
  EXPECT_EQ(report.kind, ReportKind::AutoReply);
  ASSERT_EQ(report.results.size(), 1u);
  EXPECT_EQ(report.results[0].reason, "vacation");
}

TEST(ReportStructure, EximBounceWithAutoRepliedHeaderIsStillABounce) {
  BounceReport report = readBounce(
      "From: Mail Delivery System <Mailer-Daemon@mx.example.net>\nTo: news@example.com\n"
      "Subject: Mail delivery failed: returning message to sender\nAuto-Submitted: auto-replied\n"
      "X-Failed-Recipients: reader@example.org\n\n"
      "This message was created automatically by mail delivery software.\n\n"
      "  reader@example.org\n    host mx.example.org [192.0.2.1]\n"
      "    SMTP error from remote mail server after RCPT TO:<reader@example.org>:\n"
      "    550 5.1.1 <reader@example.org>: Recipient address rejected: User unknown\n");
  EXPECT_EQ(report.kind, ReportKind::TextBounce);
  ASSERT_EQ(report.results.size(), 1u);
  EXPECT_EQ(report.results[0].reason, "userunknown");
  EXPECT_TRUE(report.results[0].hard_bounce);
}

TEST(ReportStructure, NoDecisiveStatusCodeEverEndsAsOnhold) {
  int decisive = 0;
  for (char cls : {'4', '5'}) {
    for (int subject = 0; subject <= 7; ++subject) {
      for (int detail = 0; detail <= 30; ++detail) {
        RecipientResult r;
        r.action = "failed";
        r.status = std::string(1, cls) + "." + std::to_string(subject) + "." + std::to_string(detail);
        r.diagnostic = "the remote server said something no table knows";
        classifyRecipient(r);
        if (!isDecisiveStatus(r.status)) continue;
        ++decisive;
        EXPECT_NE(r.reason, "onhold") << r.status;
        EXPECT_NE(r.reason, "undefined") << r.status;
      }
    }
  }
  EXPECT_GT(decisive, 40);
  EXPECT_FALSE(isDecisiveStatus("5.0.0"));
  EXPECT_FALSE(isDecisiveStatus("5.0.911"));  // sisimai's pseudo code: no status in the message
  EXPECT_TRUE(isDecisiveStatus("5.1.1"));
}

// An HTML notice's text is what a browser shows: not its <title> ("Mailman 2.0.12" read as a
// status code), style sheets or scripts; an element never closed hides nothing after it.
TEST(ReportStructure, HtmlNoticeTextLeavesOutTheHeadStylesAndScripts) {
  const std::string text = htmlToText(
      "<html><HEAD><Title>Mailman 2.0.12</Title><style>p{color:red}</style></head><body>"
      "<p>550 5.1.1 unknown user</p><script>var v = '4.2.2';</script><scripts>kept</scripts></body></html>");
  EXPECT_EQ(text.find("2.0.12"), std::string::npos) << text;
  EXPECT_EQ(text.find("color"), std::string::npos) << text;
  EXPECT_EQ(text.find("4.2.2"), std::string::npos) << text;
  EXPECT_NE(text.find("550 5.1.1 unknown user"), std::string::npos) << text;
  EXPECT_NE(text.find("kept"), std::string::npos) << "<scripts> is not <script>: " << text;
  std::string unclosed;
  for (int i = 0; i < 2000; ++i) unclosed += "<head>x ";
  EXPECT_NE(htmlToText(unclosed).find('x'), std::string::npos);
}

}  // namespace
}  // namespace waybill::dsn
