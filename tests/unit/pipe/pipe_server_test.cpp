// PipeServer and the thin client's converse() over a real unix socket, with a stub store.
#include "pipe_server.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include "pipe_client.h"

namespace waybill::pipe {
namespace {

using namespace std::chrono_literals;

// A file holding `text`, read from its start, standing in for Postfix's stdin (a pipe would
// block the writer past 64 KB).
struct Input {
  explicit Input(const std::string& text) {
    fd = ::memfd_create("input", MFD_CLOEXEC);
    EXPECT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    ::lseek(fd, 0, SEEK_SET);
  }
  ~Input() { ::close(fd); }
  std::string rest() {
    std::string out;
    char buffer[256];
    ssize_t n = 0;
    while ((n = ::read(fd, buffer, sizeof buffer)) > 0) out.append(buffer, static_cast<std::size_t>(n));
    return out;
  }
  int fd = -1;
};

class PipeServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("pipe-server-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    socket_ = (dir_ / "pipe.sock").string();
  }
  void TearDown() override {
    stop();
    std::filesystem::remove_all(dir_);
  }
  void start(PipeServerOptions options, RequestHandler handler) {
    PipeConfig config;
    config.socket = "unix:" + socket_;
    config.socket_mode = 0600;
    auto listener = PipeServer::listen(config);
    ASSERT_TRUE(listener) << listener.error();
    server_ = std::make_unique<PipeServer>(*listener, options, metrics_, std::move(handler));
    runner_ = std::thread([this] { server_->run(); });
  }
  void stop() {
    if (!server_) return;
    server_->stop();
    runner_.join();
    server_.reset();
  }
  ClientSettings settings(int timeout = 5) const { return {socket_, timeout}; }
  static ClientArgs args() {
    ClientArgs a;
    a.recipient = "bounce+t@bounces.test";
    a.queue_id = "Q1";
    return a;
  }
  // A raw client: connected and greeted, sending what the test says.
  int rawClient() {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", socket_.c_str());
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    char greeting[64] = {};
    EXPECT_GT(::recv(fd, greeting, kGreetingReady.size(), MSG_WAITALL), 0);
    return fd;
  }
  std::string metricsText() { return prometheus::TextSerializer().Serialize(metrics_.registry()->Collect()); }
  bool waitMetric(const std::string& line) {
    for (int i = 0; i < 200; ++i, std::this_thread::sleep_for(10ms))
      if (metricsText().find(line) != std::string::npos) return true;
    return false;
  }

  std::filesystem::path dir_;
  std::string socket_;
  PipeMetrics metrics_;
  std::unique_ptr<PipeServer> server_;
  std::thread runner_;
};

TEST_F(PipeServerTest, TheStoreSeesTheWholeMessageAndTheClientItsAnswer) {
  PipeRequest seen;
  start({}, [&](PipeRequest& r) {
    seen = r;
    return PipeAnswer{0, "stored"};
  });
  const std::string message(200000, 'x');  // several 64 KB chunks
  Input input(message);
  const ConversationResult result = converse(settings(), args(), input.fd);
  ASSERT_EQ(result.outcome, Conversation::Answered) << result.why;
  EXPECT_EQ(result.answer.exit_code, 0);
  EXPECT_EQ(result.answer.text, "stored");
  EXPECT_EQ(seen.recipient, "bounce+t@bounces.test");
  EXPECT_EQ(seen.queue_id, "Q1");
  EXPECT_EQ(seen.message, message);
  EXPECT_EQ(std::filesystem::status(socket_).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST_F(PipeServerTest, ATempFailOfTheStoreReachesTheClient) {
  start({}, [](PipeRequest&) { return PipeAnswer{75, "storing failed: database: down"}; });
  Input input("Subject: x\n\n");
  const ConversationResult result = converse(settings(), args(), input.fd);
  ASSERT_EQ(result.outcome, Conversation::Answered);
  EXPECT_EQ(result.answer.exit_code, 75);
  EXPECT_EQ(result.answer.text, "storing failed: database: down");
}

TEST_F(PipeServerTest, NoDaemonMeansQuietFallbackWithStdinUntouched) {
  Input input("the message");
  const ConversationResult result = converse(settings(), args(), input.fd);
  EXPECT_EQ(result.outcome, Conversation::Fallback);
  EXPECT_TRUE(result.quiet);
  EXPECT_EQ(input.rest(), "the message");
}

TEST_F(PipeServerTest, BusyDaemonMeansFallbackWithStdinUntouched) {
  start({.max_connections = 1}, [](PipeRequest&) { return PipeAnswer{0, "stored"}; });
  const int holder = rawClient();  // takes the only slot
  Input input("the message");
  const ConversationResult result = converse(settings(), args(), input.fd);
  EXPECT_EQ(result.outcome, Conversation::Fallback);
  EXPECT_FALSE(result.quiet);
  EXPECT_EQ(input.rest(), "the message");
  EXPECT_TRUE(waitMetric("waybill_pipe_busy_total 1"));
  ::close(holder);
}

TEST_F(PipeServerTest, AClientThatDiesMidMessageGetsNothingStored) {
  std::atomic<int> calls{0};
  start({}, [&](PipeRequest&) {
    ++calls;
    return PipeAnswer{0, "stored"};
  });
  const int fd = rawClient();
  const std::string partial = netstring("") + netstring("r@b") + netstring("Q") + netstring("half");
  ASSERT_EQ(::send(fd, partial.data(), partial.size(), 0), static_cast<ssize_t>(partial.size()));
  ::close(fd);
  EXPECT_TRUE(waitMetric("waybill_pipe_aborted_total 1"));
  EXPECT_EQ(calls, 0);
}

TEST_F(PipeServerTest, ASilentDaemonIsATempFailNotAWait) {
  start({}, [](PipeRequest&) {
    std::this_thread::sleep_for(1500ms);
    return PipeAnswer{0, "stored"};
  });
  Input input("m");
  const ConversationResult result = converse(settings(/*timeout=*/1), args(), input.fd);
  EXPECT_EQ(result.outcome, Conversation::TempFail);
}

TEST_F(PipeServerTest, StopFinishesTheMessageInFlight) {
  start({}, [](PipeRequest& r) { return PipeAnswer{0, "stored " + r.message}; });
  const int fd = rawClient();
  const std::string head = netstring("") + netstring("r@b") + netstring("Q");
  ASSERT_GT(::send(fd, head.data(), head.size(), 0), 0);
  std::thread stopper([this] { stop(); });
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(std::filesystem::exists(socket_));  // no new clients: they run one-shot
  const std::string tail = netstring("late") + "0:,";
  ASSERT_GT(::send(fd, tail.data(), tail.size(), 0), 0);
  char answer[64] = {};
  EXPECT_GT(::recv(fd, answer, sizeof answer - 1, MSG_WAITALL), 0);
  EXPECT_STREQ(answer, "0 stored late\n");
  ::close(fd);
  stopper.join();
}

TEST_F(PipeServerTest, ASecondDaemonDoesNotStealALiveSocket) {
  start({}, [](PipeRequest&) { return PipeAnswer{0, "stored"}; });
  PipeConfig config;
  config.socket = "unix:" + socket_;
  auto second = PipeServer::listen(config);
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().find("in use"), std::string::npos);
}

}  // namespace
}  // namespace waybill::pipe
