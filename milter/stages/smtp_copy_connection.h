// SmtpCopyConnection: one persistent SMTP connection from the milter to Postfix's copy listener,
// sending one per-recipient copy per transaction (runtime::SmtpClient: pipelined, dot-stuffed
// with CRLF line ends on the fly from the body spool). Not thread-safe: SmtpCopyInjector lends
// each connection to one thread at a time.
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
#include "runtime/smtp_client.h"
#include "util/result.h"

namespace waybill::milter {

// "HOST:PORT" with an IPv4 HOST (the copy listener is on loopback).
inline Result<sockaddr_in> parseCopyListener(const std::string& text) { return runtime::parseSmtpAddress(text); }
using runtime::SmtpDataEncoder;

class SmtpCopyConnection {
 public:
  // `greeting_timeout` bounds connect, greeting and EHLO: a listener whose smtpd processes are all
  // busy leaves a new connection in its backlog, unanswered; `timeout` bounds each later read.
  static Result<std::unique_ptr<SmtpCopyConnection>> open(const sockaddr_in& address, std::chrono::seconds greeting_timeout,
                                                          std::chrono::seconds timeout);

  // One transaction. Success means the listener answered 250 to the end of data: the copy is in
  // its queue. On failure, `possiblyQueued()` says whether the listener may have queued it anyway
  // (the connection broke after the content went out), and `usable()` whether to keep the connection.
  Status send(const std::string& sender, const std::string& recipient, const std::string& header_block,
              const mime::BodySpool& body);
  bool usable() const { return client_->usable(); }
  bool possiblyQueued() const { return client_->possiblyQueued(); }
  // Transactions done on this connection (0: never used, so a failure was not a stale connection).
  unsigned transactions() const { return client_->transactions(); }
  std::chrono::steady_clock::time_point lastUsed() const { return client_->lastUsed(); }

 private:
  explicit SmtpCopyConnection(std::unique_ptr<runtime::SmtpClient> client) : client_(std::move(client)) {}
  std::unique_ptr<runtime::SmtpClient> client_;
};

}  // namespace waybill::milter
