// ConnectionPool: a few PgConnections shared by a daemon's threads. Connections are opened
// lazily and dropped when found broken, so a database restart heals without a daemon restart.
// Waiting for a free connection is bounded by database.timeout, like every statement.
//
//   auto lease = pool.acquire();          // error when the database cannot be reached
//   if (!lease) return tempfail(lease.error());
//   (*lease)->exec(...);                  // returned to the pool when lease goes out of scope
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "config/config.h"
#include "store/pg_connection.h"
#include "runtime/log.h"

namespace waybill {

class ConnectionPool {
 public:
  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<PgConnection> conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    PgConnection* operator->() { return conn_.get(); }
    PgConnection& operator*() { return *conn_; }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<PgConnection> conn_;
  };

  explicit ConnectionPool(DatabaseConfig config) : config_(std::move(config)) {}
  Result<Lease> acquire();

  // Runs work(connection) -> Status or Result<T>. An idle pooled connection may have outlived a
  // database restart and fail its first statement: one retry on a fresh connection tells that
  // apart from a database that is really away. So work must be safe to repeat. A statement that
  // timed out is not retried: the caller has already waited database.timeout.
  template <typename Work>
  auto withConnection(Work&& work) -> decltype(work(std::declval<PgConnection&>())) {
    for (int attempt = 0;; ++attempt) {
      auto lease = acquire();
      if (!lease) return makeError("database: " + lease.error());
      auto done = work(**lease);
      if (done || !(*lease)->broken() || (*lease)->timedOut() || attempt == 1) return done;
      log::warning("database connection lost ({}); retrying once on a new one", done.error());
    }
  }

 private:
  void release(std::unique_ptr<PgConnection> conn);

  const DatabaseConfig config_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  int open_ = 0;  // idle + leased
};

}  // namespace waybill
