// The answers of waybill-apid in each dialect: the fields and statuses each client library reads.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api_responses.h"

namespace waybill::apid {
namespace {

using Json = nlohmann::json;
using State = RecipientVerdict::State;

SendResult sentTo(std::vector<RecipientVerdict> recipients) {
  SendResult result;
  result.message_id = "<5d0c-uuid@api.example>";
  result.uuid = "5d0c-uuid";
  result.submitted_at = "2026-12-02T10:00:00.000000Z";
  for (const auto& r : recipients) result.to.push_back(r.address);
  result.recipients = std::move(recipients);
  if (!result.recipients.empty()) result.recipients[0].id = "11111111-1111-4111-8111-111111111111";
  return result;
}

const std::string* header(const HttpResponse& response, const std::string& name) {
  for (const auto& [key, value] : response.headers)
    if (key == name) return &value;
  return nullptr;
}

TEST(ApiResponses, DialectFollowsThePath) {
  EXPECT_EQ(dialectOf("/email"), Dialect::Postmark);
  EXPECT_EQ(dialectOf("/email/batchWithTemplates"), Dialect::Postmark);
  EXPECT_EQ(dialectOf("/emails"), Dialect::Native);
  EXPECT_EQ(dialectOf("/v3/mail/send"), Dialect::SendGrid);
  EXPECT_EQ(dialectOf("/v1/messages"), Dialect::Native);
}

TEST(ApiResponses, NativeNamesEachRecipientWithItsIdAndVerdict) {
  auto response = singleResponse(Dialect::Native, sentTo({{"Ann@x.example", State::Queued, "250 ok", {}},
                                                           {"gone@x.example", State::Refused, "550 5.7.1 suppressed", {}}}));
  EXPECT_EQ(response.status, 202);
  const Json body = Json::parse(response.body);
  EXPECT_EQ(body["message_id"], "<5d0c-uuid@api.example>");
  ASSERT_EQ(body["recipients"].size(), 2u);
  EXPECT_EQ(body["recipients"][0]["id"], "11111111-1111-4111-8111-111111111111");  // as the handler read it back
  EXPECT_EQ(body["recipients"][0]["status"], "accepted");
  EXPECT_FALSE(body["recipients"][0].contains("reply"));
  EXPECT_TRUE(body["recipients"][1]["id"].is_null());
  EXPECT_EQ(body["recipients"][1]["status"], "refused");
  EXPECT_EQ(body["recipients"][1]["reply"], "550 5.7.1 suppressed");
}

TEST(ApiResponses, PostmarkAnswersItsFieldsAndErrorCodes) {
  auto ok = singleResponse(Dialect::Postmark, sentTo({{"ann@x.example", State::Queued, "", {}}, {"b@x.example", State::Queued, "", {}}}));
  EXPECT_EQ(ok.status, 200);
  const Json body = Json::parse(ok.body);
  EXPECT_EQ(body["To"], "ann@x.example, b@x.example");
  EXPECT_EQ(body["MessageID"], "5d0c-uuid");
  EXPECT_EQ(body["ErrorCode"], 0);
  EXPECT_EQ(body["Message"], "OK");
  EXPECT_EQ(body["SubmittedAt"], "2026-12-02T10:00:00.000000Z");

  auto bad_key = errorResponse(Dialect::Postmark, SendResult::error(401, 10, "", "bad key"));
  EXPECT_EQ(bad_key.status, 401);
  EXPECT_EQ(Json::parse(bad_key.body)["ErrorCode"], 10);
  auto invalid = errorResponse(Dialect::Postmark, SendResult::error(422, 300, "To", "not an address"));
  EXPECT_EQ(Json::parse(invalid.body)["Message"], "To: not an address");
  auto down = errorResponse(Dialect::Postmark, SendResult::error(503, 500, "", "later"));
  ASSERT_NE(header(down, "Retry-After"), nullptr);
}

TEST(ApiResponses, BatchesAnswerItemByItem) {
  std::vector<SendResult> items{sentTo({{"ann@x.example", State::Queued, "", {}}}),
                                SendResult::error(422, 300, "to", "not an address")};
  const Json postmark = Json::parse(batchResponse(Dialect::Postmark, items).body);
  ASSERT_TRUE(postmark.is_array());
  EXPECT_EQ(postmark[0]["ErrorCode"], 0);
  EXPECT_EQ(postmark[1]["ErrorCode"], 300);
  const Json native = Json::parse(batchResponse(Dialect::Native, items).body);
  EXPECT_EQ(native["results"][0]["status"], 202);
  EXPECT_EQ(native["results"][1]["status"], 422);
  EXPECT_EQ(native["results"][1]["index"], 1);
  EXPECT_EQ(native["results"][1]["error"]["field"], "to");
}

TEST(ApiResponses, SendGridIs202WithTheMessageIdOrItsErrorList) {
  auto ok = sendGridResponse({sentTo({{"ann@x.example", State::Queued, "", {}}})});
  EXPECT_EQ(ok.status, 202);
  EXPECT_TRUE(ok.body.empty());
  ASSERT_NE(header(ok, "X-Message-Id"), nullptr);
  EXPECT_EQ(*header(ok, "X-Message-Id"), "5d0c-uuid");
  auto bad = sendGridResponse({SendResult::error(400, 300, "personalizations[0].to", "required")});
  EXPECT_EQ(bad.status, 400);
  const Json body = Json::parse(bad.body);
  EXPECT_EQ(body["errors"][0]["field"], "personalizations[0].to");
  EXPECT_EQ(body["errors"][0]["message"], "required");
  EXPECT_TRUE(body["errors"][0]["help"].is_null());
}

}  // namespace
}  // namespace waybill::apid
