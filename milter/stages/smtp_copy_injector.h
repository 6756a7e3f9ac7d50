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
#include <memory>
#include <vector>

#include "runtime/connection_pool.h"
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
  SmtpCopyInjector(sockaddr_in address, SmtpCopySettings settings)
      : address_(address), settings_(settings), pool_({settings.max_connections, settings.max_idle}) {}
  using Connection = std::unique_ptr<SmtpCopyConnection>;
  CopyResult sendOne(Connection& connection, const std::string& sender, const CopyRequest& copy, const mime::BodySpool& body);

  sockaddr_in address_;
  SmtpCopySettings settings_;
  runtime::ConnectionPool<SmtpCopyConnection> pool_;
};

}  // namespace waybill::milter
