#include "api/postmark_request.h"

#include <gtest/gtest.h>

#include "request_test_support.h"

namespace waybill::api {
namespace {

std::string failingField(std::string_view body) { return failingFieldOf(parsePostmarkEmail, body); }

TEST(PostmarkRequest, ReadsTheEmailEndpointFields) {
  auto parsed = parsePostmarkEmail(R"({
    "From": "Ann Example <ann@example.com>",
    "To": "bob@example.org, \"Doe, Carol\" <carol@example.net>",
    "Cc": "dave@example.com", "Bcc": "eve@example.com", "ReplyTo": "help@example.com",
    "Subject": "Hi", "HtmlBody": "<b>hi</b>", "TextBody": "hi", "Tag": "welcome",
    "Metadata": {"user": "42"}, "Headers": [{"Name": "X-Campaign", "Value": "winter"}],
    "Attachments": [{"Name": "readme.txt", "Content": "aGVsbG8=", "ContentType": "text/plain"},
                    {"Name": "logo.png", "Content": "AAEC", "ContentType": "image/png", "ContentID": "cid:logo.png"}],
    "TrackOpens": true, "TrackLinks": "HtmlOnly", "MessageStream": "outbound", "InlineCss": true
  })");
  ASSERT_TRUE(parsed) << parsed.error().field << ": " << parsed.error().message;
  const Submission& s = *parsed;
  ASSERT_NO_FATAL_FAILURE(expectExamplePeople(s, "Doe, Carol"));
  EXPECT_EQ(s.tags, std::vector<std::string>{"welcome"});
  EXPECT_EQ(s.metadata.at("user"), "42");
  EXPECT_EQ(s.headers.at(0).value, "winter");
  EXPECT_EQ(s.attachments.at(1).content_id, "logo.png");
  EXPECT_EQ(s.attachments.at(0).content, "hello");
  EXPECT_EQ(s.track_opens, true);
  EXPECT_EQ(s.track_clicks, true);
  EXPECT_EQ(s.message_stream, "outbound");
  EXPECT_FALSE(s.template_name);
}

TEST(PostmarkRequest, TrackLinksNoneTurnsClicksOff) {
  auto parsed = parsePostmarkEmail(R"({"From": "a@example.com", "To": "b@example.com", "TextBody": "x", "TrackLinks": "None"})");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->track_clicks, false);
  EXPECT_FALSE(parsed->track_opens);
}

TEST(PostmarkRequest, ErrorsNameTheField) {
  EXPECT_EQ(failingField(R"({"To": "b@example.com", "TextBody": "x"})"), "From");
  EXPECT_EQ(failingField(R"({"From": "a@example.com", "TextBody": "x"})"), "To");
  EXPECT_EQ(failingField(R"({"From": "a@example.com", "To": "b@example.com, nope", "TextBody": "x"})"), "To");
  EXPECT_EQ(failingField(R"({"From": "a@example.com", "To": "b@example.com", "Cc": "x@", "TextBody": "x"})"), "Cc");
  EXPECT_EQ(failingField(R"({"From": "a@example.com", "To": "b@example.com"})"), "TextBody");
  EXPECT_EQ(failingField(R"({"From": "a@example.com", "To": "b@example.com", "TextBody": "x", "TrackLinks": "Sometimes"})"), "TrackLinks");
  EXPECT_EQ(failingField(R"({"From": "a@example.com", "To": "b@example.com", "TextBody": "x", "TrackOpens": "true"})"), "TrackOpens");
  EXPECT_EQ(failingField(R"({"From": "a@example.com", "To": "b@example.com", "TextBody": "x", "Headers": {"a": "b"}})"), "Headers");
  EXPECT_EQ(failingField(R"({"From": "a@example.com", "To": "b@example.com", "TextBody": "x",
                             "Headers": [{"Name": "X-Ok", "Value": "1"}, {"Name": "Subject", "Value": "2"}]})"), "Headers[1]");
  EXPECT_EQ(failingField(R"({"From": "a@example.com", "To": "b@example.com", "TextBody": "x",
                             "Attachments": [{"Name": "a.bin", "Content": "%%%"}]})"), "Attachments[0].Content");
  EXPECT_EQ(failingField(R"({"From": "a@example.com", "To": "b@example.com", "TextBody": "x", "Metadata": {"k": {}}})"), "Metadata.k");
  EXPECT_EQ(failingField(R"({"From": "a@example.com", "To": "b@example.com", "TextBody": "x", "Tag": "a,b"})"), "Tag");
}

TEST(PostmarkRequest, FiftyRecipientsAtMost) {
  std::string to;
  for (int i = 0; i < 51; ++i) to += (i ? "," : "") + std::string("r") + std::to_string(i) + "@example.com";
  EXPECT_EQ(failingField(R"({"From": "a@example.com", "TextBody": "x", "To": ")" + to + "\"}"), "To");
}

TEST(PostmarkRequest, WithTemplateTakesAliasOrId) {
  auto by_alias = parsePostmarkWithTemplate(R"({"From": "a@example.com", "To": "b@example.com",
                                               "TemplateAlias": "welcome", "TemplateModel": {"name": "Bo"}})");
  ASSERT_NO_FATAL_FAILURE(expectWelcomeTemplate(by_alias));
  auto by_id = parsePostmarkWithTemplate(R"({"From": "a@example.com", "To": "b@example.com", "TemplateId": 1234})");
  ASSERT_TRUE(by_id);
  EXPECT_EQ(*by_id->template_name, "1234");
  EXPECT_EQ(parsePostmarkWithTemplate(R"({"From": "a@example.com", "To": "b@example.com"})").error().field, "TemplateAlias");
  EXPECT_EQ(parsePostmarkWithTemplate(R"({"From": "a@example.com", "To": "b@example.com", "TemplateId": "x"})").error().field,
            "TemplateId");
  EXPECT_EQ(parsePostmarkWithTemplate(R"({"From": "a@example.com", "To": "b@example.com", "TemplateAlias": "w",
                                          "TemplateModel": []})").error().field, "TemplateModel");
}

TEST(PostmarkBatch, ItemsStandAlone) {
  auto batch = parsePostmarkBatch(R"([{"From": "a@example.com", "To": "b@example.com", "TextBody": "1"},
                                      {"From": "a@example.com", "TextBody": "2"}])");
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->size(), 2u);
  EXPECT_TRUE((*batch)[0]);
  EXPECT_EQ((*batch)[1].error().field, "To");
  EXPECT_FALSE(parsePostmarkBatch(R"({"From": "a@example.com"})"));
  EXPECT_FALSE(parsePostmarkBatch("[]"));
  auto templated = parsePostmarkBatchWithTemplates(R"({"Messages": [{"From": "a@example.com", "To": "b@example.com", "TemplateAlias": "w"}]})");
  ASSERT_TRUE(templated);
  EXPECT_TRUE((*templated)[0]);
  EXPECT_EQ(parsePostmarkBatchWithTemplates("[]").error().field, "Messages");
}

}  // namespace
}  // namespace waybill::api
