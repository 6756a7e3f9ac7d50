// SuppressRecipientsStage with an injected list and event writer, and the pipeline's
// outbound-only rule (which submitters it acts for).
#include <gtest/gtest.h>

#include "counting_stage.h"
#include "pipeline.h"
#include "stages/suppress_recipients.h"

namespace waybill::milter {
namespace {

policy::SuppressionMatch manual() { return {policy::SuppressionScope::Global, "", policy::SuppressionReason::Manual, 0}; }

// A list suppressing exactly `suppressed`; `loaded` false stands for a list never loaded.
SuppressionLookup listOf(std::vector<std::string> suppressed, bool loaded = true) {
  return [=](const Envelope& envelope) -> std::optional<std::vector<SuppressedRecipient>> {
    if (!loaded) return std::nullopt;
    std::vector<SuppressedRecipient> hits;
    for (const auto& recipient : envelope.recipients)
      if (std::find(suppressed.begin(), suppressed.end(), recipient) != suppressed.end()) hits.push_back({recipient, manual()});
    return hits;
  };
}

struct RecordedEvents {
  std::vector<std::string> recipients;
  bool fail = false;
  SuppressedEventWriter writer() {
    return [this](const MilterMessage&, const std::vector<SuppressedRecipient>& suppressed) -> Status {
      if (fail) return makeError("database away");
      for (const auto& s : suppressed) recipients.push_back(s.recipient);
      return {};
    };
  }
};

MilterMessage messageTo(std::vector<std::string> recipients, bool via_smtp = true) {
  MilterMessage message;
  message.envelope.sender = "app@sender.example";
  message.envelope.recipients = std::move(recipients);
  message.envelope.via_smtp = via_smtp;
  return message;
}

TEST(SuppressRecipients, RemovesSuppressedRecipientsAndRecordsThem) {
  RecordedEvents events;
  SuppressRecipientsStage stage(listOf({"gone@x.example"}), events.writer());
  auto message = messageTo({"a@x.example", "gone@x.example", "b@x.example"});
  EXPECT_TRUE(stage.onEndOfMessage(message).proceeding());
  EXPECT_EQ(message.envelope.recipients, (std::vector<std::string>{"a@x.example", "b@x.example"}));
  EXPECT_EQ(message.suppressed_recipients, (std::vector<std::string>{"gone@x.example"}));
  EXPECT_EQ(events.recipients, (std::vector<std::string>{"gone@x.example"}));
}

TEST(SuppressRecipients, NobodySuppressedChangesNothing) {
  RecordedEvents events;
  SuppressRecipientsStage stage(listOf({"other@x.example"}), events.writer());
  auto message = messageTo({"a@x.example"});
  EXPECT_TRUE(stage.onEndOfMessage(message).proceeding());
  EXPECT_EQ(message.envelope.recipients.size(), 1u);
  EXPECT_TRUE(message.suppressed_recipients.empty());
  EXPECT_TRUE(events.recipients.empty());
}

TEST(SuppressRecipients, NoRecipientLeftIsRefusedOverSmtpAndDiscardedFromSendmail) {
  RecordedEvents events;
  SuppressRecipientsStage stage(listOf({"gone@x.example"}), events.writer());
  auto smtp = messageTo({"gone@x.example"});
  const auto refused = stage.onEndOfMessage(smtp);
  EXPECT_EQ(refused.outcome, StageStatus::Outcome::Reject);
  EXPECT_EQ(refused.reply_code, "550");
  EXPECT_EQ(refused.enhanced_code, "5.7.1");
  auto local = messageTo({"gone@x.example"}, /*via_smtp=*/false);
  EXPECT_EQ(stage.onEndOfMessage(local).outcome, StageStatus::Outcome::Discard);
  EXPECT_EQ(events.recipients.size(), 2u);  // both recorded, neither delivered
}

TEST(SuppressRecipients, TempfailsWhileNoListIsLoadedOrEventsCannotBeRecorded) {
  RecordedEvents events;
  auto message = messageTo({"gone@x.example", "a@x.example"});
  SuppressRecipientsStage unloaded(listOf({}, /*loaded=*/false), events.writer());
  EXPECT_EQ(unloaded.onEndOfMessage(message).outcome, StageStatus::Outcome::TempFail);
  events.fail = true;
  SuppressRecipientsStage failing(listOf({"gone@x.example"}), events.writer());
  EXPECT_EQ(failing.onEndOfMessage(message).outcome, StageStatus::Outcome::TempFail);
  EXPECT_EQ(message.envelope.recipients.size(), 2u);  // untouched: the retry decides again
}

TEST(OutboundOnly, ActsForTrustedNetworksAuthenticatedAndLocalSubmittersOnly) {
  int runs = 0;
  Pipeline pipeline;
  pipeline.add(std::make_unique<CountingStage>(runs));
  auto networks = IpNetworks::parse("127.0.0.1/32, 10.0.0.0/8");
  ASSERT_TRUE(networks.ok());
  pipeline.trustNetworks(std::move(*networks));

  auto internet = messageTo({"user@local.example"});
  internet.envelope.client_address = "127.0.0.2";
  EXPECT_TRUE(pipeline.run(internet).proceeding());
  EXPECT_EQ(runs, 0);  // passed untouched

  auto network = internet;
  network.envelope.client_address = "10.2.3.4";
  auto authenticated = internet;
  authenticated.envelope.authenticated_as = "app";
  auto local = internet;
  local.envelope.via_smtp = false;
  for (auto* message : {&network, &authenticated, &local}) EXPECT_TRUE(pipeline.run(*message).proceeding());
  EXPECT_EQ(runs, 3);
}

TEST(IpNetworks, ParsesCidrListsAndMatches) {
  auto networks = IpNetworks::parse("127.0.0.0/8, [::1]/128 192.0.2.7 2001:db8::/32");
  ASSERT_TRUE(networks.ok()) << networks.error();
  EXPECT_TRUE(networks->contains("127.9.9.9"));
  EXPECT_TRUE(networks->contains("::1"));
  EXPECT_TRUE(networks->contains("IPv6:2001:db8::5"));
  EXPECT_TRUE(networks->contains("::ffff:127.0.0.1"));  // IPv4 on a dual-stack socket
  EXPECT_TRUE(networks->contains("192.0.2.7"));
  EXPECT_FALSE(networks->contains("192.0.2.8"));
  EXPECT_FALSE(networks->contains("2001:db9::1"));
  EXPECT_FALSE(networks->contains("unknown"));
  EXPECT_FALSE(networks->contains(""));
  EXPECT_TRUE(IpNetworks::parse("0.0.0.0/0")->contains("203.0.113.1"));
  for (const char* bad : {"127.0.0.0/33", "10.0.0.0/", "example.com", "::1/129", "1.2.3.4/8x"})
    EXPECT_FALSE(IpNetworks::parse(bad).ok()) << bad;
}

}  // namespace
}  // namespace waybill::milter
