// SmtpClient against a scripted loopback server: several recipients in one pipelined
// transaction with one refused, the queue id read from the final reply, RSET after a refused
// envelope keeping the connection usable, and the data encoding.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/smtp_client.h"

namespace waybill::runtime {
namespace {

// One connection, as Postfix: MAIL 250 (550 for MAIL FROM:<refused@...>), RCPT 250 (550 for
// "gone@", 503 without MAIL), DATA 354 while a recipient was accepted (554 otherwise), the end of data
// "250 2.0.0 Ok: queued as Q<n>", RSET 250. Records every command line and the data received.
class ScriptedSmtpServer {
 public:
  ScriptedSmtpServer() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    address_.sin_family = AF_INET;
    address_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address_), sizeof address_), 0);
    socklen_t length = sizeof address_;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address_), &length);
    ::listen(listen_fd_, 1);
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedSmtpServer() {
    waitForQuit();
    ::close(listen_fd_);
  }
  void waitForQuit() {  // the session ends when the client says QUIT or closes
    if (thread_.joinable()) thread_.join();
  }
  const sockaddr_in& address() const { return address_; }
  std::vector<std::string> commands;
  std::vector<std::string> messages;

 private:
  void say(int fd, const std::string& line) { (void)::send(fd, line.data(), line.size(), MSG_NOSIGNAL); }

  void serve() {
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    say(fd, "220 scripted ESMTP\r\n");
    std::string input, data;
    bool in_data = false, accepted = false, mail = false;
    int queued = 0;
    char buffer[4096];
    for (;;) {
      const std::size_t end = input.find("\r\n");
      if (end == std::string::npos) {
        const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
        if (got <= 0) break;
        input.append(buffer, static_cast<std::size_t>(got));
        continue;
      }
      const std::string line = input.substr(0, end);
      input.erase(0, end + 2);
      if (in_data) {
        if (line == ".") {
          in_data = false;
          messages.push_back(data);
          say(fd, "250 2.0.0 Ok: queued as Q" + std::to_string(++queued) + "\r\n");
        } else {
          data += line + "\n";
        }
        continue;
      }
      commands.push_back(line);
      if (line.rfind("EHLO", 0) == 0) say(fd, "250-scripted\r\n250-PIPELINING\r\n250 8BITMIME\r\n");
      else if (line.rfind("MAIL", 0) == 0) {
        mail = line.find("refused@") == std::string::npos;
        say(fd, mail ? "250 2.1.0 Ok\r\n" : "550 5.7.1 no\r\n");
      } else if (line.rfind("RCPT", 0) == 0 && !mail) {
        say(fd, "503 5.5.1 Error: need MAIL command\r\n");
      } else if (line.rfind("RCPT", 0) == 0) {
        const bool gone = line.find("gone@") != std::string::npos;
        accepted = accepted || !gone;
        say(fd, gone ? "550 5.1.1 <gone@x.example>: Recipient address rejected: suppressed\r\n" : "250 2.1.5 Ok\r\n");
      } else if (line == "DATA") {
        if (accepted) {
          in_data = true;
          data.clear();
        }
        say(fd, accepted ? "354 go ahead\r\n" : "554 5.5.1 Error: no valid recipients\r\n");
        accepted = mail = false;
      } else if (line == "RSET") {
        accepted = mail = false;
        say(fd, "250 2.0.0 Ok\r\n");
      } else if (line == "QUIT") {
        say(fd, "221 2.0.0 Bye\r\n");
        break;
      }
    }
    ::close(fd);
  }

  int listen_fd_ = -1;
  sockaddr_in address_{};
  std::thread thread_;
};

SmtpContentWriter bytes(std::string text) {
  return [text = std::move(text)](const auto& append) { return append(text); };
}

TEST(SmtpClient, SendsToEveryRecipientItCanAndReportsEachOne) {
  ScriptedSmtpServer server;
  {
    auto client = SmtpClient::open(server.address(), {.peer = "the scripted server", .helo = "test", .greeting_timeout = std::chrono::seconds(5), .timeout = std::chrono::seconds(5)});
    ASSERT_TRUE(client) << client.error();
    auto sent = (*client)->send("app@sender.example", {"a@x.example", "gone@x.example", "b@x.example"},
                                bytes("Subject: hi\n\n.leading dot\n"));
    ASSERT_TRUE(sent) << sent.error();
    EXPECT_TRUE(sent->queued());
    EXPECT_EQ(sent->queueId(), "Q1");
    ASSERT_EQ(sent->recipients.size(), 3u);
    EXPECT_TRUE(sent->recipients[0].positive());
    EXPECT_EQ(sent->recipients[1].code, 550);
    EXPECT_EQ(sent->recipients[1].line(), "550 5.1.1 <gone@x.example>: Recipient address rejected: suppressed");
    EXPECT_TRUE(sent->recipients[2].positive());

    // Nobody accepted: no content, RSET, and the connection serves the next message.
    auto nobody = (*client)->send("app@sender.example", {"gone@x.example"}, bytes("x\n"));
    ASSERT_TRUE(nobody) << nobody.error();
    EXPECT_FALSE(nobody->queued());
    EXPECT_FALSE(nobody->content_sent);
    EXPECT_EQ(nobody->data->code, 554);
    EXPECT_TRUE((*client)->usable());
    auto refused = (*client)->send("refused@sender.example", {"a@x.example"}, bytes("x\n"));
    ASSERT_TRUE(refused) << refused.error();
    EXPECT_EQ(refused->mail.code, 550);
    EXPECT_FALSE(refused->queued());
    auto again = (*client)->send("app@sender.example", {"a@x.example"}, bytes("second\n"));
    ASSERT_TRUE(again) << again.error();
    EXPECT_EQ(again->queueId(), "Q2");
    EXPECT_EQ((*client)->transactions(), 4u);
  }
  server.waitForQuit();
  ASSERT_EQ(server.messages.size(), 2u);
  EXPECT_EQ(server.messages[0], "Subject: hi\n\n..leading dot\n");  // dot-stuffed on the wire
  EXPECT_EQ(server.commands.front(), "EHLO test");
  EXPECT_EQ(std::count(server.commands.begin(), server.commands.end(), "RSET"), 2);
  EXPECT_EQ(server.commands.back(), "QUIT");
}

TEST(SmtpClient, NamesThePeerWhenNobodyListens) {
  sockaddr_in nowhere{};
  {
    ScriptedSmtpServer taken;  // a port that was free a moment ago and is closed again below
    nowhere = taken.address();
    auto client = SmtpClient::open(nowhere, {});
    ASSERT_TRUE(client);
  }
  auto client = SmtpClient::open(nowhere, {.peer = "Postfix", .helo = "test", .greeting_timeout = std::chrono::seconds(5), .timeout = std::chrono::seconds(5)});
  ASSERT_FALSE(client);
  EXPECT_NE(client.error().find("cannot connect to Postfix"), std::string::npos) << client.error();
}

TEST(SmtpDataEncoder, MakesCrlfAndStuffsDotsAcrossChunks) {
  SmtpDataEncoder encoder;
  std::string out;
  encoder.append("a\n.b\r\n", out);
  encoder.append("c\r", out);
  encoder.append("\n", out);
  encoder.append(".", out);
  encoder.append("..\nlast", out);
  encoder.finish(out);
  EXPECT_EQ(out, "a\r\n..b\r\nc\r\n....\r\nlast\r\n.\r\n");
}

TEST(ParseSmtpAddress, NamesTheProblem) {
  EXPECT_TRUE(parseSmtpAddress("127.0.0.1:10027"));
  for (const char* listener : {"127.0.0.1", "localhost:25", "127.0.0.1:0", "127.0.0.1:99999"})
    EXPECT_FALSE(parseSmtpAddress(listener)) << listener;
}

}  // namespace
}  // namespace waybill::runtime
