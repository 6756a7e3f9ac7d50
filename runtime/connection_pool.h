// ConnectionPool: slots for up to N persistent connections shared by many threads (waybill-apid's
// SMTP connections to Postfix, the milter's to the copy listener). A borrower gets a slot with
// an idle connection in it, or an empty slot in which it opens its own; it gives the slot back
// with the connection, which is kept for the next borrower only while it is still usable.
// Connections idle longer than max_idle are closed rather than lent: the server may have dropped
// them, and each one holds a server process.
//
//   ConnectionPool<SmtpClient> pool({.max_connections = 8, .max_idle = std::chrono::seconds(240)});
//   auto slot = pool.borrow(std::nullopt);          // waits for a free slot
//   if (!*slot) *slot = open();                     // empty slot: open a connection
//   ... use **slot ...
//   pool.giveBack(std::move(*slot));                // broken or null: the slot is freed
//
// Connection needs `bool usable() const` and `std::chrono::steady_clock::time_point lastUsed() const`.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "util/result.h"

namespace waybill::runtime {

struct ConnectionPoolLimits {
  std::size_t max_connections = 8;
  std::chrono::seconds max_idle{240};
};

template <class Connection>
class ConnectionPool {
 public:
  using Slot = std::unique_ptr<Connection>;

  explicit ConnectionPool(ConnectionPoolLimits limits) : limits_(limits) {}

  // A slot, holding an idle connection or null. `wait`: how long to wait when every slot is
  // lent out (zero: not at all; nullopt: until one is given back); an error when none came free.
  Result<Slot> borrow(std::optional<std::chrono::seconds> wait) {
    std::unique_lock lock(mutex_);
    const auto free_slot = [&] { return !idle_.empty() || lent_ < limits_.max_connections; };
    if (!wait) {
      returned_.wait(lock, free_slot);
    } else if (!returned_.wait_for(lock, *wait, free_slot)) {
      return makeError("every connection is in use");
    }
    ++lent_;
    const auto now = std::chrono::steady_clock::now();
    std::vector<Slot> keep, closing;  // the closing ones close below, outside the lock
    for (Slot& idle : idle_)
      (idle->usable() && now - idle->lastUsed() <= limits_.max_idle ? keep : closing).push_back(std::move(idle));
    idle_ = std::move(keep);
    Slot slot;
    if (!idle_.empty()) {
      slot = std::move(idle_.back());
      idle_.pop_back();
    }
    lock.unlock();
    return slot;
  }

  // Frees the slot; keeps the connection when it is still usable, closes it otherwise.
  void giveBack(Slot slot) {
    {
      std::lock_guard lock(mutex_);
      --lent_;
      if (slot && slot->usable()) idle_.push_back(std::move(slot));
    }
    returned_.notify_one();
    // A broken connection closes here, outside the lock.
  }

  std::size_t idleConnections() const {
    std::lock_guard lock(mutex_);
    return idle_.size();
  }

  std::size_t maxConnections() const { return limits_.max_connections; }

 private:
  const ConnectionPoolLimits limits_;
  mutable std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<Slot> idle_;  // guarded by mutex_
  std::size_t lent_ = 0;    // guarded by mutex_
};

}  // namespace waybill::runtime
