// SmtpCopyInjector against a small in-process SMTP listener: parallel copies, reused connections,
// a stale connection retried, an unknown outcome never retried, refusals reported per copy.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "stages/copy_verdicts.h"
#include "stages/smtp_copy_injector.h"

namespace waybill::milter {
namespace {

struct ListenerBehaviour {
  std::set<std::string> refused_recipients;  // RCPT answered 451
  bool close_after_each_transaction = false;  // as if the smtpd went away while pooled
  bool vanish_after_content = false;          // reads the content, never answers
};

// Accepts connections on 127.0.0.1, one thread each; records each message by recipient.
class FakeCopyListener {
 public:
  explicit FakeCopyListener(ListenerBehaviour behaviour) : behaviour_(std::move(behaviour)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    ::listen(fd_, 64);
    acceptor_ = std::thread([this] { acceptLoop(); });
  }
  ~FakeCopyListener() {
    stopping_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    acceptor_.join();
    for (auto& session : sessions_) session.join();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_; }
  std::map<std::string, std::vector<std::string>> messages() {
    std::lock_guard lock(mutex_);
    return messages_;
  }

 private:
  void acceptLoop() {
    for (;;) {
      const int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      if (stopping_) {
        ::close(client);
        return;
      }
      ++connections_;
      sessions_.emplace_back([this, client] { serve(client); });
    }
  }
  static bool readLine(int fd, std::string& buffer, std::string& line) {
    for (;;) {
      if (auto end = buffer.find("\r\n"); end != std::string::npos) {
        line = buffer.substr(0, end);
        buffer.erase(0, end + 2);
        return true;
      }
      char chunk[4096];
      const ssize_t got = ::recv(fd, chunk, sizeof chunk, 0);
      if (got <= 0) return false;
      buffer.append(chunk, static_cast<std::size_t>(got));
    }
  }
  static void say(int fd, const std::string& text) { (void)!::send(fd, text.data(), text.size(), MSG_NOSIGNAL); }
  void serve(int fd) {
    std::string buffer, line, recipient;
    say(fd, "220 fake ESMTP\r\n");
    while (readLine(fd, buffer, line)) {
      if (line.starts_with("EHLO")) {
        say(fd, "250-fake\r\n250-PIPELINING\r\n250 8BITMIME\r\n");
      } else if (line.starts_with("MAIL FROM:")) {
        say(fd, "250 2.1.0 Ok\r\n");
      } else if (line.starts_with("RCPT TO:<")) {
        recipient = line.substr(9, line.size() - 10);
        say(fd, behaviour_.refused_recipients.contains(recipient) ? "451 4.3.0 not now\r\n" : "250 2.1.5 Ok\r\n");
      } else if (line == "DATA") {
        if (behaviour_.refused_recipients.contains(recipient)) {
          say(fd, "554 5.5.1 no valid recipients\r\n");
          continue;
        }
        say(fd, "354 go ahead\r\n");
        std::string content;
        while (readLine(fd, buffer, line) && line != ".") content += line + "\r\n";
        {
          std::lock_guard lock(mutex_);
          messages_[recipient].push_back(content);
        }
        if (behaviour_.vanish_after_content) break;
        say(fd, "250 2.0.0 Ok: queued\r\n");
        if (behaviour_.close_after_each_transaction) break;
      } else if (line == "QUIT") {
        say(fd, "221 Bye\r\n");
        break;
      } else {
        say(fd, "502 what\r\n");
      }
    }
    ::close(fd);
  }

  ListenerBehaviour behaviour_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::thread acceptor_;
  std::vector<std::thread> sessions_;
  std::mutex mutex_;
  std::map<std::string, std::vector<std::string>> messages_;
};

std::unique_ptr<mime::BodySpool> bodyOf(const std::string& text) {
  auto body = std::make_unique<mime::BodySpool>("/tmp", 1 << 20);
  EXPECT_TRUE(body->append(text));
  return body;
}

std::vector<CopyRequest> copiesFor(int count) {
  std::vector<CopyRequest> copies;
  for (int i = 0; i < count; ++i)
    copies.push_back({"r" + std::to_string(i) + "@dest.example", "X-Waybill-Copy: v1 stamp\r\nSubject: hi\r\n\r\n"});
  return copies;
}

std::unique_ptr<SmtpCopyInjector> injectorFor(const FakeCopyListener& listener, std::size_t connections) {
  SmtpCopySettings settings;
  settings.max_connections = connections;
  settings.io_timeout = std::chrono::seconds(10);
  auto injector = SmtpCopyInjector::create(listener.address(), settings);
  EXPECT_TRUE(injector) << injector.error();
  return std::move(*injector);
}

// `copies` copies of "hello" from `sender`, through a new injector with `connections` connections.
std::vector<CopyResult> injectHello(const FakeCopyListener& listener, const std::string& sender, int copies,
                                    std::size_t connections) {
  const auto body = bodyOf("hello\r\n");
  return injectorFor(listener, connections)->injectAll(sender, copiesFor(copies), *body);
}

TEST(CopyVerdicts, AwaitSeesTheCopysVerdictAndIgnoresStrangers) {
  CopyVerdicts verdicts;
  verdicts.report("stranger", true);  // nobody expects it: not kept
  EXPECT_EQ(verdicts.await("stranger", std::chrono::milliseconds(1)), std::nullopt);
  verdicts.expect("r1");
  EXPECT_EQ(verdicts.await("r1", std::chrono::milliseconds(1)), std::nullopt);
  std::thread copy_pass([&] { verdicts.report("r1", true); });
  EXPECT_EQ(verdicts.await("r1", std::chrono::seconds(10)), true);
  copy_pass.join();
  verdicts.forget("r1");
}

TEST(SmtpCopyInjector, SendsEveryCopyOnceInParallelAndReusesConnections) {
  FakeCopyListener listener({});
  auto injector = injectorFor(listener, 4);
  const auto body = bodyOf("line one\r\n.dot line\r\n");
  for (int round = 0; round < 2; ++round) {
    const auto results = injector->injectAll("app@sender.example", copiesFor(10), *body);
    ASSERT_EQ(results.size(), 10u);
    for (const auto& result : results) EXPECT_TRUE(result.queued()) << result.error;
  }
  const auto messages = listener.messages();
  ASSERT_EQ(messages.size(), 10u);
  for (const auto& [recipient, contents] : messages) {
    ASSERT_EQ(contents.size(), 2u) << recipient;  // once per round
    EXPECT_EQ(contents[0], "X-Waybill-Copy: v1 stamp\r\nSubject: hi\r\n\r\nline one\r\n..dot line\r\n");
  }
  EXPECT_LE(listener.connections(), 4);  // the second round opened none
  EXPECT_GE(injector->idleConnections(), 1u);
}

TEST(SmtpCopyInjector, RetriesAStaleConnectionOnceAndSendsNothingTwice) {
  ListenerBehaviour behaviour;
  behaviour.close_after_each_transaction = true;
  FakeCopyListener listener(behaviour);
  const auto results = injectHello(listener, "", 3, 1);
  for (const auto& result : results) EXPECT_TRUE(result.queued()) << result.error;
  for (const auto& [recipient, contents] : listener.messages()) EXPECT_EQ(contents.size(), 1u) << recipient;
  EXPECT_EQ(listener.messages().size(), 3u);
}

TEST(SmtpCopyInjector, UnknownOutcomeIsAnErrorAndNotRetried) {
  ListenerBehaviour behaviour;
  behaviour.vanish_after_content = true;
  FakeCopyListener listener(behaviour);
  const auto results = injectHello(listener, "app@sender.example", 1, 1);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].state, CopyResult::State::Unknown);
  EXPECT_EQ(listener.messages().at("r0@dest.example").size(), 1u);
}

TEST(SmtpCopyInjector, RefusalsAreReportedPerCopy) {
  ListenerBehaviour behaviour;
  behaviour.refused_recipients = {"r1@dest.example"};
  FakeCopyListener listener(behaviour);
  const auto results = injectHello(listener, "app@sender.example", 3, 2);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(results[0].queued());
  EXPECT_EQ(results[1].state, CopyResult::State::Failed);
  EXPECT_NE(results[1].error.find("451"), std::string::npos) << results[1].error;
  EXPECT_TRUE(results[2].queued());
}

TEST(SmtpCopyInjector, ListenerDownFailsEveryCopy) {
  std::string address;
  {
    FakeCopyListener gone({});
    address = gone.address();
  }
  SmtpCopySettings settings;
  settings.max_connections = 3;
  auto injector = SmtpCopyInjector::create(address, settings);
  ASSERT_TRUE(injector);
  const auto body = bodyOf("hello\r\n");
  const auto results = (*injector)->injectAll("app@sender.example", copiesFor(5), *body);
  for (const auto& result : results) EXPECT_EQ(result.state, CopyResult::State::Failed);
}

}  // namespace
}  // namespace waybill::milter
