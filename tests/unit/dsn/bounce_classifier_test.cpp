// BounceClassifier and the small parsers it relies on: table-driven.
#include "dsn/bounce_classifier.h"

#include <gtest/gtest.h>

#include "dsn/dsn_parser.h"

namespace waybill::dsn {
namespace {

struct Case {
  const char* status;
  const char* diagnostic;
  const char* command;
  const char* reason;
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

TEST(BounceClassifier, DelayedWithoutDetailIsExpired) {
  RecipientResult r;
  r.action = "delayed";
  r.status = "4.0.0";
  classifyRecipient(r);
  EXPECT_EQ(r.reason, "expired");
  EXPECT_FALSE(r.hard_bounce);
}

TEST(DsnText, FindsStatusReplyCodeAndCommand) {
  EXPECT_EQ(statusFromDiagnostic("5.1.0 - Unknown address error 550-'5.7.1 <x@y>... Access denied'"), "5.7.1");
  EXPECT_EQ(findStatusCode("host 192.0.2.1 said: 550 5.1.1 nope"), "5.1.1");
  EXPECT_EQ(findStatusCode("version 1.2.3.4"), "");
  EXPECT_EQ(findReplyCode("host mx.example[192.0.2.1] said: 550 5.1.1 nope"), "550");
  EXPECT_EQ(findReplyCode("501: 5.1.8 Sender address rejected"), "501");
  EXPECT_EQ(findReplyCode("id 522 is not a reply code"), "");
  EXPECT_EQ(findSmtpCommand("550 nope (in reply to RCPT TO command)"), "RCPT");
  EXPECT_EQ(findSmtpCommand(">>> DATA\n<<< 554 5.7.1 rejected\n"), "DATA");
  EXPECT_EQ(addressFromTypedField("rfc822; <Ann@Example.com>"), "Ann@Example.com");
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

}  // namespace
}  // namespace waybill::dsn
