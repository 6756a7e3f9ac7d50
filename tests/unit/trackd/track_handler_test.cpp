#include "track_handler.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "unsubscribe_template.h"

namespace waybill::trackd {
namespace {

class TrackHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("trackd-handler-" + std::to_string(::getpid()) + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    auto spool = EventSpool::open(dir_.string());
    ASSERT_TRUE(spool) << spool.error();
    spool_ = std::move(*spool);
    auto keys = std::make_shared<KeyRing>();
    keys->add(3, std::string(32, 'k'));
    keys_ = keys;
    handler_ = std::make_unique<TrackHandler>(keys_, track::UnsubscribePage(kBuiltinUnsubscribeTemplate),
                                              TrackHandlerOptions{"https://t.example", "domain"}, metrics_);
    segment_ = std::make_unique<EventSpool::Segment>(*spool_, 0);
  }
  void TearDown() override {
    segment_.reset();
    spool_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string token(TokenKind kind, const std::string& url = "") const {
    return TokenCodec(keys_).encode({kind, recipient_, url});
  }
  std::string get(const std::string& method, const std::string& target, const std::string& body = "",
                  bool keep_alive = true) {
    WorkerContext worker{*segment_, metrics_.worker(0)};
    std::string response;
    handler_->handle({method, target, body, "192.0.2.7", "Test-Agent/1", keep_alive}, worker, response);
    return response;
  }
  // Everything spooled so far, as the writer would read it.
  std::vector<track::TrackEvent> spooled() {
    segment_->seal();
    std::vector<track::TrackEvent> events;
    for (const auto& sealed : spool_->takeSealed(0)) {
      std::ifstream in(sealed.path);
      std::string text((std::istreambuf_iterator<char>(in)), {});
      for (auto& e : track::parseSpool(text).events) events.push_back(std::move(e));
    }
    return events;
  }

  std::filesystem::path dir_;
  std::unique_ptr<EventSpool> spool_;
  std::shared_ptr<const KeyRing> keys_;
  TrackdMetrics metrics_{1};
  std::unique_ptr<TrackHandler> handler_;
  std::unique_ptr<EventSpool::Segment> segment_;
  Uuid recipient_ = Uuid::random();
};

TEST_F(TrackHandlerTest, OpenServesTheGifAndSpoolsBeforeAnswering) {
  const std::string response = get("GET", "/o/" + token(TokenKind::Open));
  EXPECT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_NE(response.find("Content-Type: image/gif\r\nCache-Control: no-store"), std::string::npos);
  EXPECT_EQ(response.substr(response.size() - 43, 6), "GIF89a");
  const auto events = spooled();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, track::EventType::Opened);
  EXPECT_EQ(events[0].recipient_id, recipient_);
  EXPECT_EQ(events[0].ip, "192.0.2.7");
  EXPECT_EQ(events[0].user_agent, "Test-Agent/1");
}

TEST_F(TrackHandlerTest, HeadIsAnsweredButNeverCounted) {
  const std::string response = get("HEAD", "/o/" + token(TokenKind::Open));
  EXPECT_NE(response.find("Content-Length: 43\r\n"), std::string::npos);
  EXPECT_EQ(response.substr(response.size() - 4), "\r\n\r\n");  // no body
  EXPECT_EQ(get("HEAD", "/c/" + token(TokenKind::Click, "https://a.example/")).rfind("HTTP/1.1 302", 0), 0u);
  EXPECT_TRUE(spooled().empty());
}

TEST_F(TrackHandlerTest, ClickRedirectsToTheSignedUrlExactly) {
  const std::string url = "https://a.example/p?x=1&y=%20#f";
  const std::string response = get("GET", "/c/" + token(TokenKind::Click, url), "", false);
  EXPECT_EQ(response.rfind("HTTP/1.1 302 Found\r\n", 0), 0u);
  EXPECT_NE(response.find("\r\nLocation: " + url + "\r\n"), std::string::npos);
  EXPECT_NE(response.find("\r\nConnection: close\r\n"), std::string::npos);
  const auto events = spooled();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].url, url);
}

TEST_F(TrackHandlerTest, BadTokensAre404AndNothingIsSpooled) {
  std::string open = token(TokenKind::Open);
  open[open.size() / 2] = open[open.size() / 2] == 'A' ? 'B' : 'A';
  const std::string targets[] = {
      "/o/" + open,
      "/c/" + token(TokenKind::Open),                            // kind mismatch
      "/o/" + token(TokenKind::Open).substr(0, 30),              // truncated
      "/c/" + token(TokenKind::Click, "javascript:alert(1)"),    // signed but not a web URL
      "/c/" + token(TokenKind::Click, "https://a.example/\r\nX: y"),
      "/u/" + token(TokenKind::Click, "https://a.example/"),
  };
  for (const auto& target : targets) {
    EXPECT_EQ(get("GET", target).rfind("HTTP/1.1 404", 0), 0u) << target;
    EXPECT_EQ(get("POST", target, "List-Unsubscribe=One-Click").rfind("HTTP/1.1 4", 0), 0u) << target;
  }
  EXPECT_TRUE(spooled().empty());
  // Six GETs and the one POST to /u/; POSTs elsewhere are 405 before any token is decoded.
  EXPECT_EQ(metrics_.worker(0).invalid_tokens.load(), 7u);
}

TEST_F(TrackHandlerTest, UnsubscribePageGetNeverUnsubscribes) {
  const std::string response = get("GET", "/u/" + token(TokenKind::Unsubscribe));
  EXPECT_NE(response.find("Content-Type: text/html; charset=utf-8"), std::string::npos);
  EXPECT_NE(response.find("<form method=\"post\""), std::string::npos);
  EXPECT_TRUE(spooled().empty());
}

TEST_F(TrackHandlerTest, OneClickAndBrowserPostRecordOneIdempotentUnsubscription) {
  const std::string target = "/u/" + token(TokenKind::Unsubscribe);
  const std::string one_click = get("POST", target, "List-Unsubscribe=One-Click");
  EXPECT_EQ(one_click.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_NE(one_click.find("Content-Length: 0\r\n"), std::string::npos);
  EXPECT_NE(get("POST", target).find("You are unsubscribed"), std::string::npos);
  const auto events = spooled();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].id, events[1].id);  // the same event twice: stored once
  EXPECT_EQ(events[0].type, track::EventType::Unsubscribed);
  EXPECT_EQ(events[0].scope, "domain");
}

TEST(RedirectSafety, OnlyAbsoluteWebUrlsWithoutControlCharacters) {
  EXPECT_TRUE(isSafeRedirect("https://a.example/x"));
  EXPECT_TRUE(isSafeRedirect("http://a.example"));
  EXPECT_FALSE(isSafeRedirect("//evil.example/"));
  EXPECT_FALSE(isSafeRedirect("javascript:alert(1)"));
  EXPECT_FALSE(isSafeRedirect("https://a.example/ x"));
  EXPECT_FALSE(isSafeRedirect("https://"));
}

}  // namespace
}  // namespace waybill::trackd
