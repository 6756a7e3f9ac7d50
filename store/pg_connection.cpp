#include "store/pg_connection.h"

#include <fmt/format.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

namespace waybill {
namespace {

using Clock = std::chrono::steady_clock;

// libpq's keywords for the bounded waits. They come before the database URL, which libpq expands
// last, so whatever the operator wrote in the URL (connect_timeout, options, ...) still wins.
struct ConnectParameters {
  std::string connect_timeout, keepalives_idle, keepalives_interval, tcp_user_timeout, options;
  std::vector<const char*> keywords, values;

  explicit ConnectParameters(const DatabaseConfig& config) {
    // A fresh connection to a hung server waits too: database.timeout bounds that wait as well.
    const int connect = config.timeout_seconds > 0 ? std::min(config.connect_timeout_seconds, config.timeout_seconds)
                                                   : config.connect_timeout_seconds;
    connect_timeout = std::to_string(connect);
    add("connect_timeout", connect_timeout.c_str());
    add("application_name", "waybill");
    if (config.timeout_seconds > 0) {
      const int timeout = config.timeout_seconds;
      // A silent peer is probed after a third of the timeout; three lost probes drop it.
      keepalives_idle = std::to_string(std::max(1, timeout / 3));
      keepalives_interval = std::to_string(std::max(1, timeout / 6));
      tcp_user_timeout = std::to_string(timeout * 1000);
      options = fmt::format("-c statement_timeout={0}s -c lock_timeout={0}s", timeout);
      add("keepalives", "1");
      add("keepalives_idle", keepalives_idle.c_str());
      add("keepalives_interval", keepalives_interval.c_str());
      add("keepalives_count", "3");
      add("tcp_user_timeout", tcp_user_timeout.c_str());
      add("options", options.c_str());
    }
    add("dbname", config.url.c_str());  // URL or conninfo, expanded (expand_dbname = 1)
    // database.role replaces the URL's user: keywords after the expanded dbname win over it.
    if (!config.role.empty()) add("user", config.role.c_str());
    add(nullptr, nullptr);
  }
  void add(const char* keyword, const char* value) {
    keywords.push_back(keyword);
    values.push_back(value);
  }
};

std::string firstLine(const char* message) {
  std::string text = message ? message : "unknown error";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (auto& c : text)
    if (c == '\n') c = ' ';
  return text;
}

enum class Wait { Ready, TimedOut, Failed };

// poll() on the connection's socket until `events` or the deadline (none: time_point::max()).
Wait pollSocket(PGconn* conn, short events, Clock::time_point deadline) {
  for (;;) {
    int wait_ms = -1;
    if (deadline != Clock::time_point::max()) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return Wait::TimedOut;
      wait_ms = static_cast<int>(std::min<long long>(left, 60'000));
    }
    pollfd waiting{PQsocket(conn), events, 0};
    const int ready = ::poll(&waiting, 1, wait_ms);
    if (ready > 0) return Wait::Ready;
    if (ready < 0 && errno != EINTR) return Wait::Failed;
  }
}

// Sends what libpq still holds, then reads until a whole result is there (libpq's
// non-blocking protocol: PQflush, PQconsumeInput, PQisBusy).
Wait awaitResult(PGconn* conn, Clock::time_point deadline) {
  for (int flushed = PQflush(conn); flushed != 0; flushed = PQflush(conn)) {
    if (flushed < 0) return Wait::Failed;
    if (const Wait w = pollSocket(conn, POLLIN | POLLOUT, deadline); w != Wait::Ready) return w;
    if (PQconsumeInput(conn) == 0) return Wait::Failed;
  }
  while (PQisBusy(conn)) {
    if (const Wait w = pollSocket(conn, POLLIN, deadline); w != Wait::Ready) return w;
    if (PQconsumeInput(conn) == 0) return Wait::Failed;
  }
  return Wait::Ready;
}

bool failed(PGresult* result) {
  const auto status = PQresultStatus(result);
  return status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK;
}

bool isCopy(PGresult* result) {
  const auto status = PQresultStatus(result);
  return status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH;
}

}  // namespace

Result<PgConnection> PgConnection::connect(const DatabaseConfig& config) {
  if (config.url.empty()) return makeError("option 'database.url' is not set");
  const ConnectParameters parameters(config);
  PGconn* raw = PQconnectdbParams(parameters.keywords.data(), parameters.values.data(), /*expand_dbname=*/1);
  PgConnection conn(raw, config.timeout_seconds);
  if (!raw) return makeError("database: out of memory");
  if (PQstatus(raw) != CONNECTION_OK)
    return makeError(fmt::format("database connection failed: {}", firstLine(PQerrorMessage(raw))));
  return conn;
}

Result<PgResult> PgConnection::check(PGresult* result) {
  const auto status = PQresultStatus(result);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return PgResult(result);
  std::string message = firstLine(result ? PQresultErrorMessage(result) : PQerrorMessage(conn_.get()));
  if (message.empty()) message = firstLine(PQerrorMessage(conn_.get()));
  PQclear(result);
  return makeError(fmt::format("database: {}", message));
}

// Like PQexec's answer: the first failed result, else the last one.
Result<PgResult> PgConnection::answer(int sent) {
  PGconn* conn = conn_.get();
  if (sent == 0) {
    PQsetnonblocking(conn, 0);
    return check(nullptr);
  }
  const auto deadline = timeout_seconds_ > 0 ? Clock::now() + std::chrono::seconds(timeout_seconds_) : Clock::time_point::max();
  PGresult* kept = nullptr;
  for (;;) {
    const Wait waited = awaitResult(conn, deadline);
    if (waited != Wait::Ready) {
      PQclear(kept);
      PQsetnonblocking(conn, 0);
      if (waited == Wait::Failed) return check(nullptr);
      timed_out_ = true;
      return makeError(fmt::format("database: no answer within {} s (database.timeout); dropping the connection",
                                   timeout_seconds_));
    }
    PGresult* next = PQgetResult(conn);
    if (!next) break;
    if (kept && failed(kept)) {
      PQclear(next);
    } else {
      PQclear(kept);
      kept = next;
    }
    if (isCopy(kept)) break;  // not used through exec; its rows would never end the loop
  }
  PQsetnonblocking(conn, 0);  // the other users of raw() (COPY) expect libpq's blocking mode
  return check(kept);
}

Result<PgResult> PgConnection::exec(std::string_view sql, const std::vector<PgParam>& params) {
  if (timed_out_) return makeError("database: connection dropped after a timeout");
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  const std::string statement(sql);
  PQsetnonblocking(conn_.get(), 1);  // a large statement must not block on a full socket either
  return answer(PQsendQueryParams(conn_.get(), statement.c_str(), static_cast<int>(values.size()), nullptr,
                                  values.data(), nullptr, nullptr, 0));
}

Result<PgResult> PgConnection::execWithBytes(const char* sql, const std::vector<PgParam>& params,
                                             std::string_view bytes) {
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  for (const PgParam& p : params) {
    values.push_back(p ? p->c_str() : nullptr);
    lengths.push_back(p ? static_cast<int>(p->size()) : 0);
    formats.push_back(0);
  }
  values.push_back(bytes.data());
  lengths.push_back(static_cast<int>(bytes.size()));
  formats.push_back(1);
  PGresult* raw = PQexecParams(conn_.get(), sql, static_cast<int>(values.size()), nullptr, values.data(),
                               lengths.data(), formats.data(), 0);
  PgResult result(raw);  // owns it from here (PQclear), also on the error path
  ExecStatusType status = PQresultStatus(raw);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    std::string message = PQerrorMessage(conn_.get());
    return makeError("database: " + message.substr(0, message.find('\n')));
  }
  return result;
}

Result<PgResult> PgConnection::execPrepared(const std::string& name, std::string_view sql,
                                            const std::vector<PgParam>& params) {
  if (timed_out_) return makeError("database: connection dropped after a timeout");
  if (!prepared_.contains(name)) {
    const std::string statement(sql);
    PQsetnonblocking(conn_.get(), 1);
    auto done = answer(PQsendPrepare(conn_.get(), name.c_str(), statement.c_str(), static_cast<int>(params.size()), nullptr));
    if (!done) return makeError(done.error());
    prepared_.insert(name);
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  PQsetnonblocking(conn_.get(), 1);
  return answer(PQsendQueryPrepared(conn_.get(), name.c_str(), static_cast<int>(values.size()), values.data(), nullptr,
                                    nullptr, 0));
}

Result<PgResult> PgConnection::execScript(std::string_view sql) {
  if (timed_out_) return makeError("database: connection dropped after a timeout");
  const std::string script(sql);
  PQsetnonblocking(conn_.get(), 1);
  return answer(PQsendQuery(conn_.get(), script.c_str()));
}

}  // namespace waybill
