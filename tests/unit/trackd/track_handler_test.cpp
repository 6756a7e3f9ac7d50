#include "track_handler.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <ctime>
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
    auto keys = std::make_shared<KeyRing>();
    keys->add(3, std::string(32, 'k'));
    keys_ = keys;
    rebuild({});
  }
  // A handler with these limits on a fresh spool of at most spool_max bytes.
  void rebuild(TrackHandlerOptions options, std::uint64_t spool_max = UINT64_MAX) {
    segment_.reset();
    spool_.reset();
    std::filesystem::remove_all(dir_);
    auto spool = EventSpool::open(dir_.string(), spool_max);
    ASSERT_TRUE(spool) << spool.error();
    spool_ = std::move(*spool);
    options.base_url = "https://t.example";
    options.unsubscribe_scope = "domain";
    handler_ = std::make_unique<TrackHandler>(keys_, track::UnsubscribePage(kBuiltinUnsubscribeTemplate), options);
    segment_ = std::make_unique<EventSpool::Segment>(*spool_, 0);
  }
  void TearDown() override {
    segment_.reset();
    spool_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string token(TokenKind kind, const std::string& url = "", std::uint32_t issued_at = 0) const {
    return TokenCodec(keys_).encode({kind, recipient_, url, issued_at});
  }
  std::string unsubscribeTokenOf(const Uuid& recipient) const {
    return TokenCodec(keys_).encode({TokenKind::Unsubscribe, recipient, {}});
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

std::uint32_t nowSeconds() { return static_cast<std::uint32_t>(std::time(nullptr)); }

TEST_F(TrackHandlerTest, OverTheRateLimitIs429ButAOneClickUnsubscribeIsNot) {
  TrackHandlerOptions options;
  options.rate_limit = 1;
  options.rate_burst = 2;
  rebuild(options);
  const std::string pixel = "/o/" + token(TokenKind::Open);
  EXPECT_EQ(get("GET", pixel).rfind("HTTP/1.1 200 OK", 0), 0u);
  EXPECT_EQ(get("GET", pixel).rfind("HTTP/1.1 200 OK", 0), 0u);
  const std::string limited = get("GET", pixel);
  EXPECT_EQ(limited.rfind("HTTP/1.1 429 Too Many Requests\r\n", 0), 0u);
  EXPECT_NE(limited.find("\r\nRetry-After: 1\r\n"), std::string::npos);
  EXPECT_EQ(get("GET", "/nothing").rfind("HTTP/1.1 429", 0), 0u);  // 404s count too
  const std::string target = "/u/" + token(TokenKind::Unsubscribe);
  EXPECT_EQ(get("POST", target, "List-Unsubscribe=One-Click").rfind("HTTP/1.1 200 OK", 0), 0u);
  EXPECT_EQ(metrics_.worker(0).rate_limited.load(), 2u);
  EXPECT_EQ(spooled().size(), 3u);  // two opens and the unsubscription
}

TEST_F(TrackHandlerTest, FullSpoolDropsOpensAndClicksButKeepsEachUnsubscriptionOnce) {
  rebuild({}, 4096);
  const std::string pixel = "/o/" + token(TokenKind::Open);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(get("GET", pixel).rfind("HTTP/1.1 200 OK", 0), 0u);
  const std::string url = "https://a.example/x";
  EXPECT_NE(get("GET", "/c/" + token(TokenKind::Click, url, nowSeconds())).find("\r\nLocation: " + url + "\r\n"),
            std::string::npos);  // still redirected
  const auto& counters = metrics_.worker(0);
  EXPECT_GT(counters.opens_dropped.load(), 0u);
  EXPECT_EQ(counters.opens_dropped.load() + counters.events_spooled.load(), 100u);
  EXPECT_EQ(counters.clicks_dropped.load(), 1u);
  EXPECT_LE(spool_->bytes(), 4096u);

  const Uuid others[] = {Uuid::random(), Uuid::random(), Uuid::random()};
  for (int round = 0; round < 3; ++round)
    for (const Uuid& other : others)
      EXPECT_EQ(get("POST", "/u/" + unsubscribeTokenOf(other), "List-Unsubscribe=One-Click").rfind("HTTP/1.1 200 OK", 0), 0u);
  std::size_t unsubscriptions = 0;
  for (const auto& event : spooled()) unsubscriptions += event.type == track::EventType::Unsubscribed ? 1 : 0;
  EXPECT_EQ(unsubscriptions, 3u);  // each kept past the cap, repeats not copied again
  EXPECT_GT(spool_->bytes(), 4096u);
}

TEST_F(TrackHandlerTest, ExpiredOrDisallowedClicksGetAPageAndAreNotRecorded) {
  TrackHandlerOptions options;
  options.click_policy = {3600, {"a.example"}};
  rebuild(options);
  const std::string expired = get("GET", "/c/" + token(TokenKind::Click, "https://a.example/x", nowSeconds() - 7200));
  EXPECT_EQ(expired.rfind("HTTP/1.1 410 Gone\r\n", 0), 0u);
  EXPECT_EQ(expired.find("Location:"), std::string::npos);
  EXPECT_NE(expired.find("This link has expired"), std::string::npos);
  const std::string elsewhere = get("GET", "/c/" + token(TokenKind::Click, "https://b.example/x", nowSeconds()));
  EXPECT_EQ(elsewhere.rfind("HTTP/1.1 403 Forbidden\r\n", 0), 0u);
  EXPECT_EQ(elsewhere.find("Location:"), std::string::npos);
  EXPECT_EQ(get("HEAD", "/c/" + token(TokenKind::Click, "https://b.example/", nowSeconds())).rfind("HTTP/1.1 403", 0), 0u);
  EXPECT_TRUE(spooled().empty());
  EXPECT_EQ(metrics_.worker(0).clicks_expired.load(), 1u);
  EXPECT_EQ(metrics_.worker(0).clicks_host_refused.load(), 2u);
  // A version-1 click (issue time unknown) to an allowed host still redirects.
  EXPECT_EQ(get("GET", "/c/" + token(TokenKind::Click, "https://www.a.example/")).rfind("HTTP/1.1 302", 0), 0u);
}

TEST(RedirectSafety, OnlyAbsoluteWebUrlsWithoutControlCharacters) {
  for (const char* safe : {"https://a.example/x", "http://a.example"}) EXPECT_TRUE(isSafeRedirect(safe)) << safe;
  for (const char* unsafe : {"//evil.example/", "javascript:alert(1)", "https://a.example/ x", "https://"})
    EXPECT_FALSE(isSafeRedirect(unsafe)) << unsafe;
}

}  // namespace
}  // namespace waybill::trackd
