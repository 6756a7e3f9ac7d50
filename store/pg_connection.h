// PgConnection / PgResult: RAII owners of libpq handles. Every statement is parameterised
// (PQexecParams, text format); SQL is never built from data.
//
// Every wait is bounded by database.timeout (DatabaseConfig::timeout_seconds): the server
// enforces it as statement_timeout and lock_timeout, TCP keepalives and tcp_user_timeout notice a
// dead peer, and exec() itself waits for the answer with poll(), so a server that hangs (stopped,
// swapping, a network path that went silent) costs that long, not forever. A connection that
// timed out is broken(): its state is unknown, so it is dropped, never reused.
//
//   auto conn = PgConnection::connect(config.database);
//   auto rows = conn->exec("SELECT status FROM recipients WHERE id = $1", {id.toString()});
//   if (!rows) ...;  // rows.error() says what failed; conn->broken() says whether to reconnect
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "util/result.h"

namespace waybill {

using PgParam = std::optional<std::string>;  // nullopt is SQL NULL

class PgResult {
 public:
  explicit PgResult(PGresult* result) : result_(result, &PQclear) {}
  int rows() const { return PQntuples(result_.get()); }
  int columns() const { return PQnfields(result_.get()); }
  bool isNull(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
  std::string_view get(int row, int column) const {
    return {PQgetvalue(result_.get(), row, column),
            static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
  }
  std::string affected() const { return PQcmdTuples(result_.get()); }

 private:
  std::unique_ptr<PGresult, decltype(&PQclear)> result_;
};

class PgConnection {
 public:
  static Result<PgConnection> connect(const DatabaseConfig& config);

  Result<PgResult> exec(std::string_view sql, const std::vector<PgParam>& params = {});
  // Like exec, for a statement run once per message: prepared under `name` on this connection's
  // first use, so the server parses and plans it once instead of every time.
  Result<PgResult> execPrepared(const std::string& name, std::string_view sql, const std::vector<PgParam>& params);
  // Like exec, with one more parameter after `params` ($N, N = params.size() + 1): a bytea sent in
  // binary format, so a message is not hex-encoded (twice its size, copied again by libpq) on its
  // way to PostgreSQL.
  Result<PgResult> execWithBytes(const char* sql, const std::vector<PgParam>& params, std::string_view bytes);
  // Runs a script of several statements (migrations); no parameters allowed.
  Result<PgResult> execScript(std::string_view sql);
  // True when the server went away or did not answer in time: the caller drops this connection
  // and connects again.
  bool broken() const { return timed_out_ || PQstatus(conn_.get()) != CONNECTION_OK; }
  // True when a statement got no answer within database.timeout (retrying at once would wait again).
  bool timedOut() const { return timed_out_; }
  PGconn* raw() { return conn_.get(); }

 private:
  PgConnection(PGconn* conn, int timeout_seconds) : conn_(conn, &PQfinish), timeout_seconds_(timeout_seconds) {}
  Result<PgResult> check(PGresult* result);
  // Waits (bounded) for the answer to what was just sent; `sent` is the PQsend* call's result.
  Result<PgResult> answer(int sent);
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn_;
  int timeout_seconds_ = 0;  // 0: no client-side deadline
  bool timed_out_ = false;
  std::set<std::string, std::less<>> prepared_;
};

// Runs body inside BEGIN/COMMIT; rolls back when body or COMMIT fails.
template <typename Body>
Status inTransaction(PgConnection& conn, Body&& body) {
  if (auto begin = conn.exec("BEGIN"); !begin) return makeError(begin.error());
  Status status = body();
  if (!status) {
    (void)conn.exec("ROLLBACK");
    return status;
  }
  if (auto commit = conn.exec("COMMIT"); !commit) return makeError(commit.error());
  return {};
}

}  // namespace waybill
