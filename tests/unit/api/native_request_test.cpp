#include "api/native_request.h"

#include <gtest/gtest.h>

#include "request_test_support.h"

namespace waybill::api {
namespace {

// Parses a body expected to fail and returns the field the error names.
std::string failingField(std::string_view body, const RequestLimits& limits = {}) {
  return failingFieldOf(parseNativeMessage, body, limits);
}

TEST(NativeRequest, ReadsEveryField) {
  auto parsed = parseNativeMessage(R"({
    "from": {"email": "ann@example.com", "name": "Ann Example"},
    "to": ["bob@example.org", "Carol <carol@example.net>"],
    "cc": "dave@example.com", "bcc": [{"email": "eve@example.com"}],
    "reply_to": "help@example.com", "subject": "Hi", "text": "plain", "html": "<p>html</p>",
    "attachments": [{"filename": "a.txt", "content": "aGVsbG8=", "content_type": "text/plain; charset=utf-8"},
                    {"filename": "logo.png", "content": "AAEC", "content_type": "image/png", "content_id": "cid:logo"}],
    "headers": {"X-Campaign": "winter"}, "tags": ["welcome", "onboarding"],
    "metadata": {"user": "42"}, "send_at": "2026-12-01T09:00:00Z", "track_opens": true, "track_clicks": false
  })");
  ASSERT_TRUE(parsed) << parsed.error().field << ": " << parsed.error().message;
  const Submission& s = *parsed;
  EXPECT_EQ(s.from.address, "ann@example.com");
  ASSERT_NO_FATAL_FAILURE(expectExamplePeople(s, "Carol"));
  EXPECT_EQ(*s.text, "plain");
  EXPECT_EQ(*s.html, "<p>html</p>");
  ASSERT_EQ(s.attachments.size(), 2u);
  EXPECT_EQ(s.attachments[0].content, "hello");
  EXPECT_EQ(s.attachments[0].content_type, "text/plain");
  EXPECT_EQ(s.attachments[1].content, std::string("\x00\x01\x02", 3));
  EXPECT_EQ(s.attachments[1].content_id, "logo");
  EXPECT_EQ(s.headers.at(0).name, "X-Campaign");
  EXPECT_EQ(s.tags, (std::vector<std::string>{"welcome", "onboarding"}));
  EXPECT_EQ(s.metadata.at("user"), "42");
  ASSERT_TRUE(s.send_at);
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*s.send_at), 1796115600);
  EXPECT_EQ(s.track_opens, true);
  EXPECT_EQ(s.track_clicks, false);
}

TEST(NativeRequest, TemplateNeedsNoBody) {
  auto parsed = parseNativeMessage(R"({"from": "a@example.com", "to": "b@example.com",
                                       "template": "welcome", "template_data": {"name": "Bo"}})");
  ASSERT_NO_FATAL_FAILURE(expectWelcomeTemplate(parsed));
}

TEST(NativeRequest, NullCountsAsAbsent) {
  EXPECT_TRUE(parseNativeMessage(R"({"from": "a@example.com", "to": "b@example.com", "text": "x", "cc": null, "html": null})"));
}

TEST(NativeRequest, ErrorsNameTheField) {
  EXPECT_EQ(failingField(R"({"to": "b@example.com", "text": "x"})"), "from");
  EXPECT_EQ(failingField(R"({"from": "not an address", "to": "b@example.com", "text": "x"})"), "from");
  EXPECT_EQ(failingField(R"({"from": "a@example.com", "to": ["b@example.com", "bad@"], "text": "x"})"), "to[1]");
  EXPECT_EQ(failingField(R"({"from": "a@example.com", "to": [{"email": "x@"}], "text": "x"})"), "to[0].email");
  EXPECT_EQ(failingField(R"({"from": "a@example.com", "to": [{"name": "x"}], "text": "x"})"), "to[0].email");
  EXPECT_EQ(failingField(R"({"from": "a@example.com", "text": "x"})"), "to");
  EXPECT_EQ(failingField(R"({"from": "a@example.com", "to": "b@example.com"})"), "text");
  EXPECT_EQ(failingField(R"({"from": "a@example.com", "to": "b@example.com", "subject": 5, "text": "x"})"), "subject");
  EXPECT_EQ(failingField(R"({"from": "a@example.com", "to": "b@example.com", "text": "x", "reply-to": "c@example.com"})"), "reply-to");
  EXPECT_EQ(failingField(R"({"from": "a@example.com", "to": "b@example.com", "text": "x", "track_opens": "yes"})"), "track_opens");
  EXPECT_EQ(failingField(R"({"from": "a@example.com", "to": "b@example.com", "text": "x", "send_at": "tomorrow"})"), "send_at");
  // Far future times would overflow system_clock's nanoseconds (found by the fuzzer).
  EXPECT_EQ(failingField(R"({"from": "a@example.com", "to": "b@example.com", "text": "x", "send_at": "4052-12-01T09:00:00Z"})"), "send_at");
  EXPECT_EQ(failingField(R"({"from": "a@example.com", "to": "b@example.com", "text": "x", "send_at": "0014-12-01T09:00:00Z"})"), "send_at");
  EXPECT_EQ(failingField(R"({"from": "a@example.com", "to": "b@example.com", "text": "x", "metadata": {"a": 1}})"), "metadata.a");
  EXPECT_EQ(failingField(R"({"from": "a@example.com", "to": "b@example.com", "text": "x", "tags": ["a,b"]})"), "tags[0]");
  EXPECT_EQ(failingField(R"({"from": "a@example.com", "to": "b@example.com", "text": "x", "template_data": {}})"), "template_data");
  EXPECT_EQ(failingField(R"({"from": "a@example.com", "to": "b@example.com", "text": "x",
                             "attachments": [{"filename": "a", "content": "!!!"}]})"), "attachments[0].content");
  EXPECT_EQ(failingField(R"({"from": "a@example.com", "to": "b@example.com", "text": "x",
                             "attachments": [{"content": "AAAA"}]})"), "attachments[0].filename");
  EXPECT_EQ(failingField(R"({"from": "a@example.com", "to": "b@example.com", "text": "x",
                             "attachments": [{"filename": "a", "content": "AAAA", "content_type": "nonsense"}]})"),
            "attachments[0].content_type");
  EXPECT_EQ(failingField(R"({"from": "a@example.com", "to": "b@example.com", "text": "x",
                             "attachments": [{"filename": "a", "content": "AAAA", "content_id": "a b"}]})"),
            "attachments[0].content_id");
}

TEST(NativeRequest, RefusesHeadersWeWriteOrThatBreakTheMessage) {
  for (const char* header : {R"("From": "x@example.com")", R"("bcc": "x@example.com")", R"("Content-Type": "text/html")",
                             R"("X-Waybill-Tags": "a")", R"("X-Waybill-Copy": "a")", R"("X-Evil": "a\r\nBcc: x@example.com")",
                             R"("Bad Name": "a")", R"("DKIM-Signature": "v=1")", R"("Message-ID": "<a@b>")"}) {
    const std::string body = std::string(R"({"from": "a@example.com", "to": "b@example.com", "text": "x", "headers": {)") + header + "}}";
    EXPECT_EQ(failingField(body).rfind("headers.", 0), 0u) << header;
  }
  EXPECT_TRUE(parseNativeMessage(R"({"from": "a@example.com", "to": "b@example.com", "text": "x",
                                     "headers": {"X-Waybill-Unsubscribe": "off", "List-Id": "<news.example.com>"}})"));
}

TEST(NativeRequest, RefusesNonAsciiLocalParts) {
  EXPECT_EQ(failingField("{\"from\": \"a@example.com\", \"to\": \"j\xc3\xb6rg@example.com\", \"text\": \"x\"}"), "to");
}

TEST(NativeRequest, LimitsAreParameters) {
  RequestLimits limits;
  limits.max_recipients = 2;
  EXPECT_EQ(failingField(R"({"from": "a@example.com", "to": ["b@example.com", "c@example.com"], "cc": "d@example.com", "text": "x"})", limits), "to");
  limits = {};
  limits.max_body_bytes = 10;
  auto big = parseNativeMessage(R"({"from": "a@example.com"})", limits);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().kind, ErrorKind::TooLarge);
  limits = {};
  limits.max_json_depth = 3;
  auto deep = parseNativeMessage(R"({"from": "a@example.com", "metadata": {"a": [[["x"]]]}})", limits);
  ASSERT_FALSE(deep);
  EXPECT_EQ(deep.error().kind, ErrorKind::MalformedJson);
  const std::string very_deep = std::string(100000, '[') + std::string(100000, ']');
  auto hostile = parseNativeMessage(very_deep);
  ASSERT_FALSE(hostile);
  EXPECT_EQ(hostile.error().kind, ErrorKind::MalformedJson);
}

TEST(NativeRequest, MalformedJsonIsAnErrorNotAThrow) {
  for (const char* body : {"", "{", "[1,", "{\"from\": \"\xff\"}", "nul", "\"just a string\"", "[]"}) {
    auto parsed = parseNativeMessage(body);
    EXPECT_FALSE(parsed) << body;
  }
  EXPECT_EQ(parseNativeMessage("{").error().kind, ErrorKind::MalformedJson);
}

TEST(NativeBatch, EachItemStandsAlone) {
  auto batch = parseNativeBatch(R"({"messages": [
    {"from": "a@example.com", "to": "b@example.com", "text": "one"},
    {"from": "a@example.com", "to": "bad", "text": "two"},
    {"from": "a@example.com", "to": "c@example.com", "html": "<p>three</p>"}]})");
  ASSERT_TRUE(batch) << batch.error().message;
  ASSERT_EQ(batch->size(), 3u);
  EXPECT_TRUE((*batch)[0]);
  ASSERT_FALSE((*batch)[1]);
  EXPECT_EQ((*batch)[1].error().field, "to");
  EXPECT_TRUE((*batch)[2]);
}

TEST(NativeBatch, RefusesAnUnusableBatch) {
  EXPECT_EQ(parseNativeBatch("{}").error().field, "messages");
  EXPECT_EQ(parseNativeBatch(R"({"messages": {}})").error().field, "messages");
  EXPECT_EQ(parseNativeBatch(R"({"messages": []})").error().field, "messages");
  RequestLimits limits;
  limits.max_batch = 1;
  EXPECT_EQ(parseNativeBatch(R"({"messages": [{}, {}]})", limits).error().field, "messages");
}

}  // namespace
}  // namespace waybill::api
