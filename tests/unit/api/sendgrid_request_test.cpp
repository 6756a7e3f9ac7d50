#include "api/sendgrid_request.h"

#include <gtest/gtest.h>

#include "request_test_support.h"

namespace waybill::api {
namespace {

std::string failingField(std::string_view body) { return failingFieldOf(parseSendGridMail, body); }

TEST(SendGridRequest, EachPersonalizationIsItsOwnMessage) {
  auto parsed = parseSendGridMail(R"({
    "personalizations": [
      {"to": [{"email": "bob@example.org", "name": "Bob"}], "cc": [{"email": "cc@example.org"}],
       "subject": "For Bob", "dynamic_template_data": {"n": 1}, "custom_args": {"user": "1"},
       "headers": {"X-Who": "bob"}, "send_at": 1796115600},
      {"to": [{"email": "carol@example.net"}], "bcc": [{"email": "audit@example.com"}]}],
    "from": {"email": "ann@example.com", "name": "Ann"},
    "reply_to": {"email": "help@example.com"},
    "subject": "Shared subject",
    "content": [{"type": "text/plain", "value": "plain"}, {"type": "text/html", "value": "<p>html</p>"}],
    "attachments": [{"content": "aGVsbG8=", "filename": "a.txt", "type": "text/plain"},
                    {"content": "AAEC", "filename": "logo.png", "type": "image/png", "disposition": "inline", "content_id": "logo"}],
    "categories": ["welcome"], "headers": {"X-Who": "everyone", "X-Shared": "1"},
    "custom_args": {"campaign": "winter"}, "template_id": "d-123",
    "tracking_settings": {"click_tracking": {"enable": false}, "open_tracking": {"enable": true}},
    "mail_settings": {"sandbox_mode": {"enable": false}}
  })");
  ASSERT_TRUE(parsed) << parsed.error().field << ": " << parsed.error().message;
  ASSERT_EQ(parsed->size(), 2u);
  const Submission& bob = (*parsed)[0];
  const Submission& carol = (*parsed)[1];
  EXPECT_EQ(bob.to.at(0).display_name, "Bob");
  EXPECT_EQ(bob.cc.at(0).address, "cc@example.org");
  EXPECT_EQ(bob.subject, "For Bob");
  EXPECT_EQ(carol.subject, "Shared subject");
  EXPECT_TRUE(carol.cc.empty());
  EXPECT_EQ(carol.bcc.at(0).address, "audit@example.com");
  EXPECT_EQ(*bob.template_data, R"({"n":1})");
  EXPECT_FALSE(carol.template_data);
  EXPECT_EQ(*bob.template_name, "d-123");
  EXPECT_EQ(bob.metadata.at("user"), "1");
  EXPECT_EQ(bob.metadata.at("campaign"), "winter");
  EXPECT_EQ(carol.metadata.count("user"), 0u);
  ASSERT_EQ(bob.headers.size(), 2u);
  EXPECT_EQ(bob.headers[1].value, "bob");  // the personalization's own value wins
  EXPECT_TRUE(bob.send_at);
  EXPECT_FALSE(carol.send_at);
  EXPECT_EQ(*bob.text, "plain");
  EXPECT_EQ(*bob.html, "<p>html</p>");
  EXPECT_EQ(bob.attachments.at(1).content_id, "logo");
  EXPECT_EQ(bob.attachments.at(0).content_id, "");
  EXPECT_EQ(bob.tags, std::vector<std::string>{"welcome"});
  EXPECT_EQ(bob.track_clicks, false);
  EXPECT_EQ(bob.track_opens, true);
  EXPECT_EQ(bob.reply_to.at(0).address, "help@example.com");
}

constexpr const char* kFrom = R"("from": {"email": "a@example.com"}, "content": [{"type": "text/plain", "value": "x"}])";

std::string withFrom(const std::string& rest) { return "{" + std::string(kFrom) + ", " + rest + "}"; }

TEST(SendGridRequest, ErrorsNameTheField) {
  EXPECT_EQ(failingField(withFrom(R"("subject": "x")")), "personalizations");
  EXPECT_EQ(failingField(withFrom(R"("personalizations": [])")), "personalizations");
  EXPECT_EQ(failingField(withFrom(R"("personalizations": [{"to": [{"email": "b@example.com"}, {"email": "bad"}]}])")),
            "personalizations[0].to[1].email");
  EXPECT_EQ(failingField(withFrom(R"("personalizations": [{"to": [{"email": "b@example.com"}]}, {"cc": [{"email": "c@example.com"}]}])")),
            "personalizations[1].to");
  EXPECT_EQ(failingField(withFrom(R"("personalizations": [{"to": "b@example.com"}])")), "personalizations[0].to");
  EXPECT_EQ(failingField(withFrom(R"("personalizations": [{"to": [{"email": "b@example.com"}], "send_at": "soon"}])")),
            "personalizations[0].send_at");
  EXPECT_EQ(failingField(withFrom(R"("personalizations": [{"to": [{"email": "b@example.com"}], "send_at": 65730560400}])")),
            "personalizations[0].send_at");
  EXPECT_EQ(failingField(withFrom(R"("personalizations": [{"to": [{"email": "b@example.com"}], "custom_args": {"n": 1}}])")),
            "personalizations[0].custom_args.n");
  EXPECT_EQ(failingField(R"({"personalizations": [{"to": [{"email": "b@example.com"}]}], "content": [{"type": "text/plain", "value": "x"}]})"),
            "from");
  EXPECT_EQ(failingField(R"({"personalizations": [{"to": [{"email": "b@example.com"}]}], "from": {"email": "a@example.com"}})"), "content");
  EXPECT_EQ(failingField(R"({"personalizations": [{"to": [{"email": "b@example.com"}]}], "from": {"email": "a@example.com"},
                             "content": [{"type": "text/calendar", "value": "x"}]})"), "content[0].type");
  const std::string to = R"("personalizations": [{"to": [{"email": "b@example.com"}]}])";
  EXPECT_EQ(failingField(withFrom(to + R"(, "attachments": [{"content": "AAAA"}])")), "attachments[0].filename");
  EXPECT_EQ(failingField(withFrom(to + R"(, "attachments": [{"content": "AAAA", "filename": "a", "disposition": "inline"}])")),
            "attachments[0].content_id");
  EXPECT_EQ(failingField(withFrom(to + R"(, "attachments": [{"content": "AAAA", "filename": "a", "disposition": "odd"}])")),
            "attachments[0].disposition");
  EXPECT_EQ(failingField(withFrom(to + R"(, "headers": {"To": "x@example.com"})")), "headers.To");
  EXPECT_EQ(failingField(withFrom(to + R"(, "categories": "one")")), "categories");
  EXPECT_EQ(failingField(withFrom(to + R"(, "tracking_settings": {"click_tracking": {"enable": 1}})")),
            "tracking_settings.click_tracking.enable");
}

}  // namespace
}  // namespace waybill::api
