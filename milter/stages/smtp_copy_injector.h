// SmtpCopyInjector: per-recipient copies over a pool of persistent SMTP connections to the
// Postfix listener reserved for copies (milter.copy_listener; `waybill postfix-setup` adds it to
// master.cf). No process per copy: the copies of one message go out in parallel over up to
// milter.copy_connections connections, shared by all milter sessions, and the transaction that
// made them returns once every copy has its 250 (each one is then in Postfix's queue).
//
//   auto injector = SmtpCopyInjector::create("127.0.0.1:10027", 8);
//   auto results = (*injector)->injectAll(sender, copies, body);   // one Status per copy
#pragma once

#include <netinet/in.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "stages/copy_injector.h"
#include "stages/smtp_copy_connection.h"

namespace waybill::milter {

struct SmtpCopySettings {
  std::size_t max_connections = 8;
  std::chrono::seconds greeting_timeout{10};  // connect, greeting, EHLO
  std::chrono::seconds io_timeout{120};    // a copy's end of data waits for its own milter pass
  std::chrono::seconds wait_timeout{60};   // for a free connection when all are lent out
  // An idle pooled connection holds one of the listener's smtpd processes: give it back soon.
  std::chrono::seconds max_idle{10};
};

class SmtpCopyInjector : public CopyInjector {
 public:
  // The error names what is wrong with `listener` (HOST:PORT).
  static Result<std::unique_ptr<SmtpCopyInjector>> create(const std::string& listener, SmtpCopySettings settings);

  Status inject(const std::string& sender, const std::string& recipient, const std::string& header_block,
                const mime::BodySpool& body) override;
  std::vector<CopyResult> injectAll(const std::string& sender, const std::vector<CopyRequest>& copies,
                                const mime::BodySpool& body) override;
  std::size_t idleConnections() const;

 private:
  SmtpCopyInjector(sockaddr_in address, SmtpCopySettings settings) : address_(address), settings_(settings) {}
  using Connection = std::unique_ptr<SmtpCopyConnection>;
  // A connection slot: an idle connection if there is one (else null: the caller opens one).
  // `wait` false: nothing when every slot is lent out, instead of waiting for one.
  Result<Connection> borrow(bool wait);
  void giveBack(Connection connection);  // null or broken: the slot is freed, the connection closed
  CopyResult sendOne(Connection& connection, const std::string& sender, const CopyRequest& copy, const mime::BodySpool& body);

  sockaddr_in address_;
  SmtpCopySettings settings_;
  mutable std::mutex mutex_;
  std::condition_variable slot_freed_;
  std::vector<Connection> idle_;
  std::size_t lent_ = 0;
};

}  // namespace waybill::milter
