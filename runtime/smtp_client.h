// SmtpClient: one persistent SMTP connection to a local Postfix listener, for programs that hand
// mail to Postfix themselves: the milter's per-recipient copies and waybill-apid's submissions.
// MAIL, every RCPT and DATA go out in one write when the server offers PIPELINING (RFC 2920);
// the content is dot-stuffed with CRLF line ends on the fly. A refused envelope is followed by
// RSET, so the connection stays usable. Not thread-safe: a pool lends it to one thread at a time.
//
//   auto conn = SmtpClient::open(address, {.peer = "Postfix", .helo = "waybill-apid"});
//   auto sent = (*conn)->send("app@example.com", {"bob@example.com"}, [&](const auto& append) {
//     return append(message_bytes); });
//   if (sent && sent->queued()) ... Postfix has it: sent->queueId()
#pragma once

#include <netinet/in.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace waybill::runtime {

// "HOST:PORT" with an IPv4 HOST (the listeners are on loopback).
Result<sockaddr_in> parseSmtpAddress(const std::string& text);

// Appends `bytes` as SMTP DATA content: bare LF becomes CRLF, a line starting with '.' gets
// another '.' (RFC 5321 4.5.2). The state carries over between chunks.
class SmtpDataEncoder {
 public:
  void append(std::string_view bytes, std::string& out);
  // The end of the content: a final CRLF if the last line lacked one, then ".\r\n".
  void finish(std::string& out);

 private:
  bool at_line_start_ = true;
  bool after_cr_ = false;
};

struct SmtpReply {
  int code = 0;
  std::string text;  // the text of every line, joined by '\n'
  bool positive() const { return code >= 200 && code < 300; }
  bool temporary() const { return code >= 400 && code < 500; }
  std::string line() const;  // "250 2.0.0 Ok: queued as 4Q1b..." (lines joined by a space)
};

struct SmtpOutcome {
  SmtpReply mail;                       // the answer to MAIL FROM
  std::vector<SmtpReply> recipients;    // one per RCPT TO, in order (empty when MAIL was refused)
  std::optional<SmtpReply> data;        // the answer to DATA, then to the end of data when it was sent
  bool content_sent = false;
  bool queued() const { return content_sent && data && data->code == 250; }
  std::string queueId() const;          // from Postfix's "queued as ID"; empty when not given
};

// Writes the message through `append` (any chunking); an error from it aborts the transaction.
using SmtpContentWriter = std::function<Status(const std::function<Status(std::string_view)>& append)>;

class SmtpClient {
 public:
  struct Options {
    std::string peer = "the SMTP server";  // for error texts: "the copy listener", "Postfix"
    std::string helo = "waybill";
    // Bounds connect, greeting and EHLO: a listener whose smtpd processes are all busy leaves a
    // new connection in its backlog, unanswered. `timeout` bounds each later read and write.
    std::chrono::seconds greeting_timeout{10};
    std::chrono::seconds timeout{120};
  };

  static Result<std::unique_ptr<SmtpClient>> open(const sockaddr_in& address, Options options);
  ~SmtpClient();
  SmtpClient(const SmtpClient&) = delete;
  SmtpClient& operator=(const SmtpClient&) = delete;

  // One transaction. An outcome comes back whenever the server answered everything (some
  // recipients or the whole envelope may be refused: see its replies); an error when the
  // connection broke or the server stopped speaking SMTP. After an error, `possiblyQueued()` says
  // whether the message may be queued anyway (the connection broke after the content went out).
  Result<SmtpOutcome> send(const std::string& sender, const std::vector<std::string>& recipients,
                           const SmtpContentWriter& content);
  bool usable() const { return usable_; }
  bool possiblyQueued() const { return possibly_queued_; }
  // Transactions begun on this connection (0: never used, so a failure was not a stale connection).
  unsigned transactions() const { return transactions_; }
  std::chrono::steady_clock::time_point lastUsed() const { return last_used_; }
  const std::string& peer() const { return options_.peer; }

 private:
  SmtpClient(int fd, Options options) : fd_(fd), options_(std::move(options)) {}
  Status greetAndHello();
  Result<SmtpReply> readReply();
  Status writeAll(std::string_view bytes);
  std::string mailCommand(const std::string& sender, const std::vector<std::string>& recipients) const;
  Status sendEnvelope(const std::string& sender, const std::vector<std::string>& recipients, SmtpOutcome& outcome);
  Status sendContent(const SmtpContentWriter& content);
  void reset();

  int fd_ = -1;
  Options options_;
  std::string input_;  // bytes read but not yet consumed as reply lines
  bool pipelining_ = false;
  bool eight_bit_ = false;
  bool smtputf8_ = false;
  bool usable_ = true;
  bool possibly_queued_ = false;
  unsigned transactions_ = 0;
  std::chrono::steady_clock::time_point last_used_ = std::chrono::steady_clock::now();
};

}  // namespace waybill::runtime
