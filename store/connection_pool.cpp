#include "store/connection_pool.h"

#include <fmt/format.h>

#include <chrono>

namespace waybill {

ConnectionPool::Lease::~Lease() {
  if (conn_) pool_->release(std::move(conn_));
}

Result<ConnectionPool::Lease> ConnectionPool::acquire() {
  {
    std::unique_lock lock(mutex_);
    const auto usable = [&] { return !idle_.empty() || open_ < config_.pool_size; };
    if (config_.timeout_seconds <= 0) {
      available_.wait(lock, usable);
    } else if (!available_.wait_for(lock, std::chrono::seconds(config_.timeout_seconds), usable)) {
      return makeError(fmt::format("no free connection within {} s (all {} in use; database.timeout)",
                                   config_.timeout_seconds, config_.pool_size));
    }
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn));
    }
    ++open_;  // reserve the slot; connect outside the lock
  }
  auto conn = PgConnection::connect(config_);
  if (!conn) {
    std::lock_guard lock(mutex_);
    --open_;
    available_.notify_one();
    return makeError(conn.error());
  }
  return Lease(this, std::make_unique<PgConnection>(std::move(*conn)));
}

void ConnectionPool::release(std::unique_ptr<PgConnection> conn) {
  std::lock_guard lock(mutex_);
  if (conn->broken() || PQtransactionStatus(conn->raw()) != PQTRANS_IDLE) {
    --open_;  // a connection left mid-transaction or dead is not reused
  } else {
    idle_.push_back(std::move(conn));
  }
  available_.notify_one();
}

}  // namespace waybill
