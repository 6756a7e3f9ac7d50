// SmtpCopyConnection: one persistent SMTP connection from the milter to Postfix's copy listener,
// sending one per-recipient copy per transaction. MAIL, RCPT and DATA go out in one write
// (PIPELINING, RFC 2920); the content is dot-stuffed with CRLF line ends on the fly from the body
// spool. Not thread-safe: SmtpCopyInjector lends each connection to one thread at a time.
//
//   auto conn = SmtpCopyConnection::open(address, std::chrono::seconds(10), std::chrono::seconds(120));
//   auto sent = (*conn)->send("app@example.com", "bob@example.com", header_block, body);
//   if (!sent && !(*conn)->usable()) ... drop it; sent.error() says why
#pragma once

#include <netinet/in.h>

#include <chrono>
#include <memory>
#include <string>

#include "mime/body_spool.h"
#include "util/result.h"

namespace waybill::milter {

// "HOST:PORT" with an IPv4 HOST (the copy listener is on loopback).
Result<sockaddr_in> parseCopyListener(const std::string& text);

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

class SmtpCopyConnection {
 public:
  // `greeting_timeout` bounds connect, greeting and EHLO: a listener whose smtpd processes are all
  // busy leaves a new connection in its backlog, unanswered; `timeout` bounds each later read.
  static Result<std::unique_ptr<SmtpCopyConnection>> open(const sockaddr_in& address, std::chrono::seconds greeting_timeout,
                                                          std::chrono::seconds timeout);
  ~SmtpCopyConnection();
  SmtpCopyConnection(const SmtpCopyConnection&) = delete;
  SmtpCopyConnection& operator=(const SmtpCopyConnection&) = delete;

  // One transaction. Success means the listener answered 250 to the end of data: the copy is in
  // its queue. On failure, `possiblyQueued()` says whether the listener may have queued it anyway
  // (the connection broke after the content went out), and `usable()` whether to keep the connection.
  Status send(const std::string& sender, const std::string& recipient, const std::string& header_block,
              const mime::BodySpool& body);
  bool usable() const { return usable_; }
  bool possiblyQueued() const { return possibly_queued_; }
  // Transactions done on this connection (0: never used, so a failure was not a stale connection).
  unsigned transactions() const { return transactions_; }
  std::chrono::steady_clock::time_point lastUsed() const { return last_used_; }

 private:
  explicit SmtpCopyConnection(int fd) : fd_(fd) {}
  struct Reply {
    int code = 0;
    std::string text;
  };
  Status greetAndHello();
  Result<Reply> readReply();
  Status writeAll(std::string_view bytes);
  Status expect(const Result<Reply>& reply, int wanted, const char* step);
  std::string mailCommand(const std::string& sender, const std::string& recipient) const;
  Status sendContent(const std::string& header_block, const mime::BodySpool& body);

  int fd_ = -1;
  std::string input_;  // bytes read but not yet consumed as reply lines
  bool pipelining_ = false;
  bool eight_bit_ = false;
  bool smtputf8_ = false;
  bool usable_ = true;
  bool possibly_queued_ = false;
  unsigned transactions_ = 0;
  std::chrono::steady_clock::time_point last_used_ = std::chrono::steady_clock::now();
};

}  // namespace waybill::milter
