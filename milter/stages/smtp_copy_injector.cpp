#include "stages/smtp_copy_injector.h"

#include <atomic>
#include <thread>

#include "runtime/log.h"

namespace waybill::milter {

Result<std::unique_ptr<SmtpCopyInjector>> SmtpCopyInjector::create(const std::string& listener, SmtpCopySettings settings) {
  auto address = parseCopyListener(listener);
  if (!address) return makeError(address.error());
  if (settings.max_connections == 0) return makeError("needs at least one connection");
  return std::unique_ptr<SmtpCopyInjector>(new SmtpCopyInjector(*address, settings));
}

std::size_t SmtpCopyInjector::idleConnections() const { return pool_.idleConnections(); }

// One copy on the borrowed slot. A pooled connection that the listener has closed meanwhile
// (Postfix restarted, smtpd gone idle) fails before anything could be queued: that case alone
// is retried once on a fresh connection, so a copy is never sent twice.
CopyResult SmtpCopyInjector::sendOne(Connection& connection, const std::string& sender, const CopyRequest& copy,
                                     const mime::BodySpool& body) {
  for (int attempt = 0;; ++attempt) {
    if (!connection || !connection->usable()) {
      auto opened = SmtpCopyConnection::open(address_, settings_.greeting_timeout, settings_.io_timeout);
      if (!opened) return {CopyResult::State::Failed, opened.error()};
      connection = std::move(*opened);
    }
    const bool reused = connection->transactions() > 0;
    Status sent = connection->send(sender, copy.recipient, copy.header_block, body);
    if (sent) return {CopyResult::State::Queued, ""};
    if (connection->possiblyQueued()) return {CopyResult::State::Unknown, sent.error()};
    if (connection->usable() || !reused || attempt > 0) return {CopyResult::State::Failed, sent.error()};
    log::debug("copy listener connection went stale ({}); reconnecting", sent.error());
    connection.reset();
  }
}

Status SmtpCopyInjector::inject(const std::string& sender, const std::string& recipient, const std::string& header_block,
                                const mime::BodySpool& body) {
  const CopyResult result = injectAll(sender, {CopyRequest{recipient, header_block}}, body).front();
  if (result.queued()) return {};
  return makeError(result.error);
}

// Copies go out in parallel: the first worker waits for a slot, the others only take a free one,
// so a busy pool still makes progress and never holds a session longer than its own copies take.
std::vector<CopyResult> SmtpCopyInjector::injectAll(const std::string& sender, const std::vector<CopyRequest>& copies,
                                                const mime::BodySpool& body) {
  if (copies.empty()) return {};
  std::vector<CopyResult> results(copies.size(), CopyResult{CopyResult::State::Failed, "not attempted"});
  std::atomic<std::size_t> next{0};
  std::string no_slot;  // written by the first worker only
  auto worker = [&](bool first) {
    auto slot = pool_.borrow(first ? settings_.wait_timeout : std::chrono::seconds(0));
    if (!slot) {
      if (first) no_slot = "no connection to the copy listener came free in time";
      return;
    }
    Connection connection = std::move(*slot);
    for (std::size_t i = next++; i < copies.size(); i = next++) results[i] = sendOne(connection, sender, copies[i], body);
    pool_.giveBack(std::move(connection));
  };
  const std::size_t helpers = std::min(copies.size(), settings_.max_connections) - 1;
  {
    std::vector<std::jthread> threads;
    threads.reserve(helpers);
    for (std::size_t i = 0; i < helpers; ++i) threads.emplace_back(worker, false);
    worker(true);
  }  // joined: nobody writes `results` any more
  if (!no_slot.empty() && next.load() == 0)
    for (auto& result : results) result = {CopyResult::State::Failed, no_slot};
  return results;
}

}  // namespace waybill::milter
