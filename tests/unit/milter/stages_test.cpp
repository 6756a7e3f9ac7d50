#include <gtest/gtest.h>

#include "counting_stage.h"
#include "pipeline.h"
#include "stages/control_headers.h"
#include "stages/standard_headers.h"

namespace waybill::milter {
namespace {

MilterMessage messageWith(std::vector<HeaderField> headers) {
  MilterMessage message;
  message.envelope.sender = "app@sender.example";
  message.envelope.recipients = {"a@x.example"};
  message.headers = std::move(headers);
  return message;
}

StandardHeadersStage fixedClockStage(std::string domain = "") {
  return StandardHeadersStage(std::move(domain), [] { return std::chrono::system_clock::from_time_t(1795321231); });
}

TEST(StandardHeaders, AddsMissingMessageIdAndDate) {
  auto message = messageWith({{"From", "App <app@from.example>"}, {"Subject", "hi"}});
  auto stage = fixedClockStage();
  ASSERT_TRUE(stage.onEndOfMessage(message).proceeding());
  ASSERT_EQ(message.header_edits.size(), 2u);
  EXPECT_EQ(message.header_edits[0].name, "Message-ID");
  EXPECT_NE(message.header_edits[0].value->find("@from.example>"), std::string::npos);
  EXPECT_EQ("<" + message.message_id_header + ">", *message.header_edits[0].value);
  EXPECT_EQ(message.header_edits[1].name, "Date");
  EXPECT_EQ(*message.header_edits[1].value, "Sun, 22 Nov 2026 04:20:31 +0000");
}

TEST(StandardHeaders, KeepsPresentOnes) {
  auto message = messageWith({{"message-id", "<given@x>"}, {"DATE", "Mon, 1 Jan 2024 00:00:00 +0000"}});
  auto stage = fixedClockStage();
  ASSERT_TRUE(stage.onEndOfMessage(message).proceeding());
  EXPECT_TRUE(message.header_edits.empty());
  EXPECT_EQ(message.message_id_header, "given@x");
}

TEST(StandardHeaders, ConfiguredDomainWins) {
  auto message = messageWith({{"From", "app@from.example"}});
  auto stage = fixedClockStage("mail.operator.example");
  ASSERT_TRUE(stage.onEndOfMessage(message).proceeding());
  EXPECT_NE(message.header_edits[0].value->find("@mail.operator.example>"), std::string::npos);
}

TEST(ControlHeaders, ReadsAndRemovesEveryControlHeader) {
  auto message = messageWith({{"X-Waybill-Tags", "welcome, onboarding"},
                              {"Subject", "s"},
                              {"x-waybill-track", "Opens"},
                              {"X-Waybill-Tags", "second"}});
  ControlHeadersStage stage(TrackMode::All);
  ASSERT_TRUE(stage.onEndOfMessage(message).proceeding());
  EXPECT_EQ(message.track_mode, TrackMode::Opens);
  EXPECT_EQ(message.tags, (std::vector<std::string>{"welcome", "onboarding"}));
  // Two X-Waybill-Tags removed last first (index 2 then 1), one x-waybill-track.
  ASSERT_EQ(message.header_edits.size(), 3u);
  int tags_removed = 0;
  int previous_index = 99;
  for (const auto& edit : message.header_edits) {
    EXPECT_FALSE(edit.value.has_value());
    if (edit.name == "X-Waybill-Tags") {
      EXPECT_LT(edit.index, previous_index);
      previous_index = edit.index;
      ++tags_removed;
    }
  }
  EXPECT_EQ(tags_removed, 2);
}

TEST(ControlHeaders, DefaultModeAndBadMode) {
  auto plain = messageWith({{"Subject", "s"}});
  ControlHeadersStage stage(TrackMode::Clicks);
  ASSERT_TRUE(stage.onEndOfMessage(plain).proceeding());
  EXPECT_EQ(plain.track_mode, TrackMode::Clicks);
  EXPECT_TRUE(plain.header_edits.empty());

  auto bad = messageWith({{"X-Waybill-Track", "sometimes"}});
  const StageStatus status = stage.onEndOfMessage(bad);
  EXPECT_EQ(status.outcome, StageStatus::Outcome::Reject);
  EXPECT_NE(status.text.find("X-Waybill-Track"), std::string::npos);
}

TEST(ControlHeaders, ReadsMetadataAndRefusesMalformedMetadata) {
  ControlHeadersStage stage(TrackMode::All);
  auto message = messageWith({{"X-Waybill-Metadata", mail::encodeMetadataHeader({{"order", "A-1"}})}});
  ASSERT_TRUE(stage.onEndOfMessage(message).proceeding());
  EXPECT_EQ(message.metadata, (mail::Metadata{{"order", "A-1"}}));
  ASSERT_EQ(message.header_edits.size(), 1u);
  EXPECT_EQ(message.header_edits[0].name, "X-Waybill-Metadata");

  auto bad = messageWith({{"X-Waybill-Metadata", "eyJuIjogMX0="}});  // {"n": 1}
  const StageStatus status = stage.onEndOfMessage(bad);
  EXPECT_EQ(status.outcome, StageStatus::Outcome::Reject);
  EXPECT_NE(status.text.find("X-Waybill-Metadata"), std::string::npos);
  EXPECT_TRUE(bad.metadata.empty());
}

TEST(MilterMessage, TellsSendmailFromSmtpByHeloAndClient) {
  EXPECT_TRUE(submittedViaSendmail("localhost", "localhost [127.0.0.1]"));
  EXPECT_FALSE(submittedViaSendmail("app.example", "localhost [127.0.0.1]"));
  EXPECT_FALSE(submittedViaSendmail("localhost", "web1.example [192.0.2.7]"));
}

class FailingStage : public Stage {
 public:
  const char* name() const override { return "failing"; }
  StageStatus onEndOfMessage(MilterMessage&) override { return StageStatus::tempFail("down"); }
};

TEST(Pipeline, StopsAtFirstStageThatDoesNotProceed) {
  int runs = 0;
  Pipeline pipeline;
  pipeline.add(std::make_unique<CountingStage>(runs));
  pipeline.add(std::make_unique<FailingStage>());
  pipeline.add(std::make_unique<CountingStage>(runs));
  auto message = messageWith({});
  EXPECT_EQ(pipeline.run(message).outcome, StageStatus::Outcome::TempFail);
  EXPECT_EQ(runs, 1);
}

TEST(Pipeline, MailOnlyForWaybillPipeDomainsPassesUntouched) {
  int runs = 0;
  Pipeline pipeline;
  pipeline.add(std::make_unique<CountingStage>(runs));
  pipeline.passThrough({"bounces.example.com", "in.example.com"});
  auto bounce = messageWith({});
  bounce.envelope.recipients = {"bounce+TOKEN@Bounces.Example.COM", "support@in.example.com"};
  EXPECT_TRUE(pipeline.run(bounce).proceeding());
  EXPECT_EQ(runs, 0);
  EXPECT_TRUE(bounce.header_edits.empty());
  auto mixed = messageWith({});
  mixed.envelope.recipients = {"support@in.example.com", "ann@customer.example"};  // outbound too: processed
  EXPECT_TRUE(pipeline.run(mixed).proceeding());
  EXPECT_EQ(runs, 1);
}

}  // namespace
}  // namespace waybill::milter
