// Postfix delivery log lines of every delivery agent, in the shapes Postfix writes them
// (src/global/log_adhoc.c: to=, orig_to=, relay=, conn_use=, delay=, delays=, dsn=, status= (text)),
// with the syslog prefixes of postlogd/rsyslog (RFC 3164) and of ISO 8601 exports, plus garbage.
#include <gtest/gtest.h>

#include <string>

#include "delivery_log_reader.h"
#include "postfix/delivery_log_line.h"

namespace waybill::postfix {
namespace {

struct AgentCase {
  const char* line;
  const char* agent;
  const char* queue_id;
  const char* to;
  DeliveryStatus status;
  const char* reply;
  const char* relay_host;
  const char* relay_address;
};

class AgentLines : public ::testing::TestWithParam<AgentCase> {};

TEST_P(AgentLines, ParsesEveryField) {
  const AgentCase& c = GetParam();
  auto line = parseDeliveryLogLine(c.line);
  ASSERT_TRUE(line) << c.line;
  EXPECT_EQ(line->agent, c.agent);
  EXPECT_EQ(line->queue_id, c.queue_id);
  EXPECT_EQ(line->to, c.to);
  EXPECT_EQ(line->status, c.status);
  EXPECT_EQ(line->reply, c.reply);
  EXPECT_EQ(line->relay_host, c.relay_host);
  EXPECT_EQ(line->relay_address, c.relay_address);
}

INSTANTIATE_TEST_SUITE_P(
    EveryAgent, AgentLines,
    ::testing::Values(
        AgentCase{"Dec  1 21:49:36 mx1 postfix/smtp[4123]: 3F2A21C0A5: to=<alice@example.com>, "
                  "relay=mx.example.com[192.0.2.10]:25, delay=0.52, delays=0.02/0.01/0.3/0.19, dsn=2.0.0, "
                  "status=sent (250 2.0.0 Ok: queued as 9B3E2C0F1)",
                  "smtp", "3F2A21C0A5", "alice@example.com", DeliveryStatus::Sent,
                  "250 2.0.0 Ok: queued as 9B3E2C0F1", "mx.example.com", "192.0.2.10"},
        AgentCase{"Dec 11 08:01:02 mx1 postfix/smtp[4123]: 4Q1b2c3D4fz5Hk: to=<bob@example.org>, "
                  "relay=mx.example.org[2001:db8::25]:25, conn_use=3, delay=310, delays=300/0.01/0.2/10, dsn=4.2.0, "
                  "status=deferred (host mx.example.org[2001:db8::25] said: 450 4.2.0 <bob@example.org>: Recipient "
                  "address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.org.html (in reply "
                  "to RCPT TO command))",
                  "smtp", "4Q1b2c3D4fz5Hk", "bob@example.org", DeliveryStatus::Deferred,
                  "host mx.example.org[2001:db8::25] said: 450 4.2.0 <bob@example.org>: Recipient address rejected: "
                  "Greylisted, see http://postgrey.schweikert.ch/help/example.org.html (in reply to RCPT TO command)",
                  "mx.example.org", "2001:db8::25"},
        AgentCase{"Dec  1 21:49:36 mx1 postfix/smtp[4123]: 3F2A21C0A5: to=<nobody@example.net>, "
                  "relay=mx.example.net[198.51.100.7]:25, delay=1.1, delays=0.1/0/0.5/0.5, dsn=5.1.1, "
                  "status=bounced (host mx.example.net[198.51.100.7] said: 550 5.1.1 <nobody@example.net>: "
                  "Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command))",
                  "smtp", "3F2A21C0A5", "nobody@example.net", DeliveryStatus::Bounced,
                  "host mx.example.net[198.51.100.7] said: 550 5.1.1 <nobody@example.net>: Recipient address "
                  "rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)",
                  "mx.example.net", "198.51.100.7"},
        AgentCase{"Dec  1 21:49:36 mx1 postfix/smtp[4123]: 3F2A21C0A5: to=<carol@example.com>, relay=none, "
                  "delay=30, delays=0.01/0/30/0, dsn=4.4.1, status=deferred (connect to mx.example.com[192.0.2.10]:25: "
                  "Connection timed out)",
                  "smtp", "3F2A21C0A5", "carol@example.com", DeliveryStatus::Deferred,
                  "connect to mx.example.com[192.0.2.10]:25: Connection timed out", "none", ""},
        AgentCase{"Dec  1 21:49:36 mail postfix/lmtp[812]: 5C2D41E07B: to=<dave@example.com>, "
                  "relay=mail.example.com[private/dovecot-lmtp], delay=0.08, delays=0.03/0.01/0.01/0.03, dsn=2.0.0, "
                  "status=sent (250 2.0.0 <dave@example.com> GGl0Bz5hR2WRBQAA3RS6Aw Saved)",
                  "lmtp", "5C2D41E07B", "dave@example.com", DeliveryStatus::Sent,
                  "250 2.0.0 <dave@example.com> GGl0Bz5hR2WRBQAA3RS6Aw Saved", "mail.example.com",
                  "private/dovecot-lmtp"},
        AgentCase{"Dec  1 21:49:36 mail postfix/local[901]: 7E1F0A2B3C: to=<root@mail.example.com>, orig_to=<root>, "
                  "relay=local, delay=0.02, delays=0.01/0.01/0/0, dsn=2.0.0, status=sent (delivered to mailbox)",
                  "local", "7E1F0A2B3C", "root@mail.example.com", DeliveryStatus::Sent, "delivered to mailbox", "local",
                  ""},
        AgentCase{"Dec  1 21:49:36 mail postfix/local[901]: 7E1F0A2B3C: to=<eve@mail.example.com>, relay=local, "
                  "delay=0.1, delays=0.01/0/0/0.09, dsn=5.2.2, status=bounced (cannot update mailbox /var/mail/eve "
                  "for user eve. error writing message: File too large)",
                  "local", "7E1F0A2B3C", "eve@mail.example.com", DeliveryStatus::Bounced,
                  "cannot update mailbox /var/mail/eve for user eve. error writing message: File too large", "local",
                  ""},
        AgentCase{"Dec  1 21:49:36 mail postfix/pipe[2333]: 8A9B0C1D2E: to=<bounce+tok@bounces.example.com>, "
                  "relay=waybill, delay=0.3, delays=0.01/0/0/0.29, dsn=2.0.0, status=sent (delivered via waybill "
                  "service)",
                  "pipe", "8A9B0C1D2E", "bounce+tok@bounces.example.com", DeliveryStatus::Sent,
                  "delivered via waybill service", "waybill", ""},
        AgentCase{"Dec  1 21:49:36 mail postfix/pipe[2333]: 8A9B0C1D2E: to=<x@bounces.example.com>, relay=waybill, "
                  "delay=60, delays=0/0/0/60, dsn=4.3.0, status=deferred (temporary failure. Command output: "
                  "waybill-pipe: database unavailable )",
                  "pipe", "8A9B0C1D2E", "x@bounces.example.com", DeliveryStatus::Deferred,
                  "temporary failure. Command output: waybill-pipe: database unavailable ", "waybill", ""},
        AgentCase{"Dec  1 21:49:36 mail postfix/virtual[1444]: 9F8E7D6C5B: to=<frank@hosted.example>, relay=virtual, "
                  "delay=0.05, delays=0.02/0.01/0/0.02, dsn=2.0.0, status=sent (delivered to maildir)",
                  "virtual", "9F8E7D6C5B", "frank@hosted.example", DeliveryStatus::Sent, "delivered to maildir",
                  "virtual", ""},
        AgentCase{"Dec  1 21:49:36 mail postfix/error[1555]: 1A2B3C4D5E: to=<gina@example.com>, relay=none, delay=400, "
                  "delays=399/1/0/0, dsn=4.4.1, status=deferred (delivery temporarily suspended: connect to "
                  "mx.example.com[192.0.2.10]:25: Connection refused)",
                  "error", "1A2B3C4D5E", "gina@example.com", DeliveryStatus::Deferred,
                  "delivery temporarily suspended: connect to mx.example.com[192.0.2.10]:25: Connection refused", "none",
                  ""},
        AgentCase{"Dec  1 21:49:36 mail postfix/error[1555]: 1A2B3C4D5E: to=<henry@example.com>, relay=none, delay=0.01, "
                  "delays=0/0/0/0, dsn=5.0.0, status=bounced (User unknown in relay recipient table)",
                  "error", "1A2B3C4D5E", "henry@example.com", DeliveryStatus::Bounced,
                  "User unknown in relay recipient table", "none", ""},
        AgentCase{"Dec  1 21:49:36 mail postfix/discard[1666]: 2B3C4D5E6F: to=<ivan@example.com>, relay=none, "
                  "delay=0.01, delays=0.01/0/0/0, dsn=2.0.0, status=sent (example.com)",
                  "discard", "2B3C4D5E6F", "ivan@example.com", DeliveryStatus::Sent, "example.com", "none", ""}));

TEST(DeliveryLogLine, ReadsTheRestOfTheFields) {
  auto line = parseDeliveryLogLine(
      "Dec  1 21:49:36 mx1 postfix-out/smtp[4123]: 3F2A21C0A5: to=<a@example.com>, orig_to=<list@example.com>, "
      "relay=mx.example.com[192.0.2.10]:2525, conn_use=2, delay=0.52, delays=0.02/0.01/0.3/0.19, dsn=2.0.0, "
      "status=sent (250 ok)\n");
  ASSERT_TRUE(line);
  EXPECT_EQ(line->host, "mx1");
  EXPECT_EQ(line->program, "postfix-out/smtp");
  EXPECT_EQ(line->orig_to, "list@example.com");
  EXPECT_EQ(line->relay, "mx.example.com[192.0.2.10]:2525");
  EXPECT_EQ(line->relay_port, "2525");
  EXPECT_EQ(line->delay, "0.52");
  EXPECT_EQ(line->delays, "0.02/0.01/0.3/0.19");
  EXPECT_EQ(line->dsn, "2.0.0");
  EXPECT_EQ(line->time.month, 12);
  EXPECT_EQ(line->time.day, 1);
  EXPECT_EQ(line->time.hour, 21);
  EXPECT_FALSE(line->time.has_year);
}

TEST(DeliveryLogLine, QueueManagerQueueActiveProvesTheFileCommitted) {
  auto line = parseDeliveryLogLine("Dec  6 03:00:01 mx1 postfix/qmgr[700]: 3F2A21C0A5: from=<app@example.com>, "
                                   "size=1432, nrcpt=1 (queue active)\n");
  ASSERT_TRUE(line);
  EXPECT_EQ(line->status, DeliveryStatus::Queued);
  EXPECT_STREQ(deliveryStatusName(line->status), "queued");
  EXPECT_EQ(line->queue_id, "3F2A21C0A5");
  EXPECT_EQ(line->from, "app@example.com");
  EXPECT_TRUE(line->to.empty());
  auto bounce = parseDeliveryLogLine("Dec  6 03:00:01 mx1 postfix/qmgr[700]: 3F2A21C0A5: from=<>, size=9, nrcpt=2 "
                                     "(queue active)");
  ASSERT_TRUE(bounce);
  EXPECT_EQ(bounce->from, "");
}

TEST(DeliveryLogLine, OnlyTheQueueManagerSaysQueueActive) {
  // Another program's line, or a sender address that merely ends so, is not the queue manager's word.
  EXPECT_FALSE(parseDeliveryLogLine("Dec  6 03:00:01 mx1 postfix/smtpd[70]: 3F2A21C0A5: from=<a@example.com>, "
                                    "size=1, nrcpt=1 (queue active)"));
  EXPECT_FALSE(parseDeliveryLogLine("Dec  6 03:00:01 mx1 postfix/qmgr[700]: 3F2A21C0A5: from=<a (queue active)"));
  EXPECT_FALSE(parseDeliveryLogLine("Dec  6 03:00:01 mx1 postfix/qmgr[700]: 3F2A21C0A5: removed (queue active)"));
  EXPECT_FALSE(parseDeliveryLogLine("Dec  6 03:00:01 mx1 postfix/qmgr[700]: 3F2A21C0A5: from=<a@example.com> (queue active)"));
}

TEST(DeliveryLogLine, QueueManagerExpiryNamesTheSenderOnly) {
  auto line = parseDeliveryLogLine("Dec  6 03:00:01 mx1 postfix/qmgr[700]: 3F2A21C0A5: from=<app@example.com>, "
                                   "status=expired, returned to sender");
  ASSERT_TRUE(line);
  EXPECT_EQ(line->status, DeliveryStatus::Expired);
  EXPECT_EQ(line->from, "app@example.com");
  EXPECT_TRUE(line->to.empty());
  EXPECT_TRUE(parseDeliveryLogLine("Dec  6 03:00:01 mx1 postfix/qmgr[700]: 3F2A21C0A5: from=<>, status=expired, "
                                   "returned to sender"));
}

TEST(DeliveryLogLine, IsoPrefixesWithMicrosecondsAndZones) {
  auto line = parseDeliveryLogLine("2026-12-01T21:49:36.123456+01:00 mx1 postfix/smtp[1]: 3F2A21C0A5: to=<a@b.example>, "
                                   "relay=x[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)");
  ASSERT_TRUE(line);
  EXPECT_TRUE(line->time.has_year);
  EXPECT_TRUE(line->time.has_offset);
  EXPECT_EQ(line->time.year, 2026);
  EXPECT_EQ(line->time.microsecond, 123456);
  EXPECT_EQ(line->time.utc_offset_minutes, 60);
  EXPECT_EQ(logd::occurredAt(line->time, 0), "2026-12-01T20:49:36.123456Z");

  auto journal = parseDeliveryLogLine("2026-12-01T21:49:36+0000 mx1 postfix/smtp[1]: 3F2A21C0A5: to=<a@b.example>, "
                                      "relay=x[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)");
  ASSERT_TRUE(journal);
  EXPECT_EQ(logd::occurredAt(journal->time, 0), "2026-12-01T21:49:36.000000Z");
  auto utc = parseDeliveryLogLine("2026-12-01T21:49:36.5Z mx1 postfix/smtp[1]: 3F2A21C0A5: to=<a@b.example>, "
                                  "relay=x[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)");
  ASSERT_TRUE(utc);
  EXPECT_EQ(utc->time.microsecond, 500000);
}

TEST(DeliveryLogLine, PostlogdFractionsAndTheYearOfYearlessLines) {
  auto line = parseDeliveryLogLine("Dec 31 23:59:59.250000 mx1 postfix/smtp[1]: 3F2A21C0A5: to=<a@b.example>, "
                                   "relay=x[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)");
  ASSERT_TRUE(line);
  EXPECT_EQ(line->time.microsecond, 250000);
  setenv("TZ", "UTC", 1);
  tzset();
  const std::time_t jan_1_2027 = 1798761600;  // 2027-01-01T00:00:00Z: last year's December line
  EXPECT_EQ(logd::occurredAt(line->time, jan_1_2027), "2026-12-31T23:59:59.250000Z");
  // An impossible date is normalised rather than handed to PostgreSQL as is.
  auto odd = parseDeliveryLogLine("2026-02-31T10:00:00Z h postfix/smtp[1]: 3F2A21C0A5: to=<a@b.example>, "
                                  "relay=none, delay=1, delays=0/0/0/1, dsn=4.4.1, status=deferred (x)");
  ASSERT_TRUE(odd);
  EXPECT_EQ(logd::occurredAt(odd->time, 0), "2026-03-03T10:00:00.000000Z");
}

TEST(DeliveryLogLine, QuotedLocalPartsAndOddReplies) {
  auto line = parseDeliveryLogLine("Dec  1 21:49:36 h postfix/smtp[1]: 3F2A21C0A5: to=<\"a>, b\"@example.com>, "
                                   "relay=none, delay=1, delays=0/0/0/1, dsn=4.4.1, status=deferred (a (nested) reply)");
  ASSERT_TRUE(line);
  EXPECT_EQ(line->to, "\"a>, b\"@example.com");
  EXPECT_EQ(line->reply, "a (nested) reply");
  auto bare = parseDeliveryLogLine("Dec  1 21:49:36 h postfix/smtp[1]: 3F2A21C0A5: to=<a@example.com>, relay=none, "
                                   "delay=1, delays=0/0/0/1, dsn=4.4.1, status=deferred");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->reply, "");
}

TEST(DeliveryLogLine, OtherLinesAreNotAttempts) {  // qmgr's queue active line: its own test
  const char* lines[] = {
      "",
      "garbage",
      "Dec  1 21:49:36 h postfix/smtpd[1]: connect from localhost[127.0.0.1]",
      "Dec  1 21:49:36 h postfix/cleanup[1]: 3F2A21C0A5: message-id=<x@example.com>",
      "Dec  1 21:49:36 h postfix/qmgr[1]: 3F2A21C0A5: removed",
      "Dec  1 21:49:36 h postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[192.0.2.1]: 554 5.7.1 <a@b>: Relay access "
      "denied; from=<s@x> to=<a@b> proto=ESMTP helo=<x>",
      "Dec  1 21:49:36 h postfix/smtp[1]: 3F2A21C0A5: to=<a@example.com>, relay=none, delay=1, dsn=2.0.0, "
      "status=deliverable (delivery via x)",
      "Dec  1 21:49:36 h postfix/smtp[1]: 3F2A21C0A5: relay=none, delay=1, dsn=2.0.0, status=sent (no recipient)",
      "Dec  1 21:49:36 h postfix/smtp[1]: 3F2A21C0A5: to=<a@example.com, relay=none, status=sent (unterminated)",
      "Dec  1 21:49:36 h postfix/smtp[1]: 3F2: to=<a@example.com>, status=sent (queue id too short)",
      "Dec  1 21:49:36 h postfix/smtp[]: 3F2A21C0A5: to=<a@example.com>, status=sent (no pid)",
      "Dec 41 21:49:36 h postfix/smtp[1]: 3F2A21C0A5: to=<a@example.com>, status=sent (bad day)",
      "Foo  1 21:49:36 h postfix/smtp[1]: 3F2A21C0A5: to=<a@example.com>, status=sent (bad month)",
      "Dec  1 25:49:36 h postfix/smtp[1]: 3F2A21C0A5: to=<a@example.com>, status=sent (bad hour)",
      "Dec  1 21:49:36 h postfix/smtp[1]: 3F2A21C0A5: to=<a@example.com>, relay=none, status=",
      "Dec  1 21:49:36 h postfix/smtp[1]: 3F2A21C0A5: to=<a@example.com>, relay",
      "0000-01-01T00:00:00Z h postfix/smtp[1]: 3F2A21C0A5: to=<a@example.com>, relay=none, status=sent (year 0)",
      "9999-12-31T23:59:59-23:59 h postfix/smtp[1]: 3F2A21C0A5: to=<a@example.com>, relay=none, status=sent (x)",
  };
  for (const char* text : lines) EXPECT_FALSE(parseDeliveryLogLine(text)) << text;
}

TEST(DeliveryLogLine, LinesPastTheCapAreRefused) {
  std::string line = "Dec  1 21:49:36 h postfix/smtp[1]: 3F2A21C0A5: to=<a@example.com>, relay=none, delay=1, "
                     "delays=0/0/0/1, dsn=4.4.1, status=deferred (";
  line += std::string(kMaxLogLineBytes, 'x') + ")";
  EXPECT_FALSE(parseDeliveryLogLine(line));
  EXPECT_FALSE(parseDeliveryLogLine(std::string_view(line).substr(0, 40)));
}

TEST(DeliveryLogLine, EveryPrefixOfARealLineIsSafe) {
  const std::string line = "Dec  1 21:49:36 mx1 postfix/smtp[4123]: 3F2A21C0A5: to=<alice@example.com>, "
                           "orig_to=<x@y>, relay=mx.example.com[192.0.2.10]:25, delay=0.52, delays=0.02/0.01/0.3/0.19, "
                           "dsn=2.0.0, status=sent (250 2.0.0 Ok)";
  for (std::size_t n = 0; n < line.size(); ++n) (void)parseDeliveryLogLine(std::string_view(line).substr(0, n));
  EXPECT_TRUE(parseDeliveryLogLine(line));
}

TEST(QueueIds, ShortAndLongFormsButNotNoQueue) {
  for (const char* id : {"3F2A21C0A5", "4Q1b2c3D4fz5Hk"}) EXPECT_TRUE(isPostfixQueueId(id)) << id;
  for (const char* id : {"NOQUEUE", "3F2A", "3F2A-1C0A5"}) EXPECT_FALSE(isPostfixQueueId(id)) << id;
}

}  // namespace
}  // namespace waybill::postfix
