#include "webhook/webhook_event.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace waybill::webhook {
namespace {

WebhookEvent clickEvent() {
  WebhookEvent event;
  event.seq = 7;
  event.id = "6f1c2f1e-0000-4000-8000-000000000001";
  event.type = "clicked";
  event.occurred_at = "2026-11-22T05:00:00.123Z";
  event.message_id = "6f1c2f1e-0000-4000-8000-0000000000aa";
  event.recipient = "bob@example.test";
  event.url = "https://shop.example/p?a=1&b=\"2\"";
  event.machine = true;
  event.machine_reason = "scanner";
  event.details_json = R"({"tags":["x"]})";
  return event;
}

TEST(WebhookEvent, BodyCarriesEveryColumnAndDetailsAsJson) {
  const auto body = nlohmann::json::parse(webhookBody({clickEvent()}));
  ASSERT_EQ(body["events"].size(), 1u);
  const auto& event = body["events"][0];
  EXPECT_EQ(event["id"], "6f1c2f1e-0000-4000-8000-000000000001");
  EXPECT_EQ(event["type"], "clicked");
  EXPECT_EQ(event["url"], "https://shop.example/p?a=1&b=\"2\"");
  EXPECT_EQ(event["machine"], true);
  EXPECT_EQ(event["details"]["tags"][0], "x");
  EXPECT_FALSE(event.contains("sender")) << "absent columns are left out";
  EXPECT_FALSE(event.contains("seq")) << "the outbox sequence is ours";
}

TEST(WebhookEvent, BatchKeepsOrderAndListsIds) {
  auto first = clickEvent();
  auto second = clickEvent();
  second.id = "second";
  const auto body = nlohmann::json::parse(webhookBody({first, second}));
  ASSERT_EQ(body["events"].size(), 2u);
  EXPECT_EQ(body["events"][1]["id"], "second");
  EXPECT_EQ(eventIdList({first, second}), first.id + ",second");
}

TEST(WebhookEvent, BrokenDetailsAndBytesDoNotThrow) {
  auto event = clickEvent();
  event.details_json = "{not json";
  event.user_agent = std::string("Mozilla \xff\xfe");
  const auto body = nlohmann::json::parse(webhookBody({event}));
  EXPECT_EQ(body["events"][0]["details"]["raw"], "{not json");
  EXPECT_TRUE(body["events"][0]["user_agent"].is_string());
}

TEST(WebhookEvent, CarriesTheMessagesTagsAndMetadata) {
  auto event = clickEvent();
  event.tags_json = R"(["welcome","q4"])";
  event.metadata_json = R"({"order":"A-1"})";
  const auto tagged = nlohmann::json::parse(webhookEventJson(event));
  EXPECT_EQ(tagged["tags"], nlohmann::json::array({"welcome", "q4"}));
  EXPECT_EQ(tagged["metadata"]["order"], "A-1");

  event.tags_json.reset();
  event.metadata_json = "{broken";
  const auto untagged = nlohmann::json::parse(webhookEventJson(event));
  EXPECT_FALSE(untagged.contains("tags")) << "events without a message have none";
  EXPECT_FALSE(untagged.contains("metadata")) << "unparsable text is left out, not sent raw";
}

TEST(WebhookEvent, EmptyBatchIsAnEmptyList) { EXPECT_EQ(webhookBody({}), R"({"events":[]})"); }

}  // namespace
}  // namespace waybill::webhook
