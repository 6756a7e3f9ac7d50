#include "milter_metrics.h"

#include <gtest/gtest.h>

#include <string>

#include "../../support/metrics_test_support.h"

namespace waybill::milter {
namespace {

using test_support::expectInScrape;
using test_support::scrape;

TEST(MilterMetrics, DkimAlgorithmComesFromTheATag) {
  EXPECT_EQ(dkimAlgorithm("v=1; a=rsa-sha256; d=x.test; s=s1; b=abc"), "rsa-sha256");
  EXPECT_EQ(dkimAlgorithm("v=1;\n\ta = ed25519-sha256 ;d=x.test"), "ed25519-sha256");
  EXPECT_EQ(dkimAlgorithm("v=1; a=rsa-sha1; d=x.test"), "other");
  EXPECT_EQ(dkimAlgorithm("v=1; d=x.test; b=a=rsa-sha256"), "other");  // inside another tag's value
  EXPECT_EQ(dkimAlgorithm(""), "other");
}

TEST(MilterMetrics, AcceptedMessageCountsRecipientsCopiesSignaturesAndRewrites) {
  MilterMetrics metrics;
  MilterMessage message;
  message.envelope.recipients = {"a@x.test", "b@x.test", "c@x.test"};
  message.recipients_to_delete = {"b@x.test", "c@x.test"};
  message.replacement_body = std::make_shared<mime::BodySpool>("/tmp", 1024);
  message.header_edits.push_back({HeaderEdit::Kind::Insert, "DKIM-Signature", 0, "v=1; a=rsa-sha256; b=x"});
  message.header_edits.push_back({HeaderEdit::Kind::Insert, "dkim-signature", 0, "v=1; a=ed25519-sha256; b=y"});
  message.header_edits.push_back({HeaderEdit::Kind::Add, "X-Other", 0, "a=rsa-sha256"});
  metrics.record({message, StageStatus::Outcome::Continue, "", 0.002});
  const std::string text = scrape(*metrics.registry());
  expectInScrape(text, {"waybill_milter_messages_total{result=\"accepted\"} 1",
                        "waybill_milter_recipients_total 1",  // b and c went to copies
                        "waybill_milter_copies_injected_total 2",
                        "waybill_milter_bodies_rewritten_total 1",
                        "waybill_milter_signatures_total{algorithm=\"rsa-sha256\"} 1",
                        "waybill_milter_signatures_total{algorithm=\"ed25519-sha256\"} 1",
                        "waybill_milter_message_seconds_count 1"});
}

TEST(MilterMetrics, StoppedMessagesCountByCauseAndHeldIsNotAccepted) {
  MilterMetrics metrics;
  MilterMessage message;
  message.envelope.recipients = {"a@x.test"};
  metrics.record({message, StageStatus::Outcome::TempFail, "record", 0.01});
  metrics.record({message, StageStatus::Outcome::Reject, "control-headers", 0.01});
  message.suppressed_recipients = {"gone@x.test"};
  metrics.record({message, StageStatus::Outcome::TempFail, "record", 0.01});  // decided again on retry: not counted
  metrics.record({message, StageStatus::Outcome::Discard, "suppress", 0.01});
  message.suppressed_recipients.clear();
  metrics.countEarlyTempfail("body_spool");
  message.quarantine_reason = "scheduled";
  metrics.record({message, StageStatus::Outcome::Continue, "", 0.01});
  const std::string text = scrape(*metrics.registry());
  expectInScrape(text, {"waybill_milter_tempfails_total{cause=\"record\"} 2",
                        "waybill_milter_tempfails_total{cause=\"body_spool\"} 1",
                        "waybill_milter_rejects_total{cause=\"control-headers\"} 1",
                        "waybill_milter_messages_total{result=\"tempfail\"} 3",
                        "waybill_milter_rejects_total{cause=\"suppress\"} 1",  // a sendmail discard
                        "waybill_milter_recipients_suppressed_total 1",
                        "waybill_milter_messages_total{result=\"held\"} 1",
                        "waybill_milter_messages_total{result=\"accepted\"} 0",
                        "waybill_milter_recipients_total 1"});
}

}  // namespace
}  // namespace waybill::milter
