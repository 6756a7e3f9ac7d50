#include "db/pg_connection.h"

#include <fmt/format.h>

namespace waybill {
namespace {

// Accepts both URLs and conninfo strings; adds the connect timeout unless the operator set one.
std::string withTimeout(const DatabaseConfig& config) {
  const std::string& url = config.url;
  if (url.find("connect_timeout") != std::string::npos) return url;
  const bool is_url = url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
  if (is_url) {
    const char separator = url.find('?') == std::string::npos ? '?' : '&';
    return fmt::format("{}{}connect_timeout={}", url, separator, config.connect_timeout_seconds);
  }
  return fmt::format("{} connect_timeout={}", url, config.connect_timeout_seconds);
}

std::string firstLine(const char* message) {
  std::string text = message ? message : "unknown error";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (auto& c : text)
    if (c == '\n') c = ' ';
  return text;
}

}  // namespace

Result<PgConnection> PgConnection::connect(const DatabaseConfig& config) {
  if (config.url.empty()) return makeError("option 'database.url' is not set");
  PGconn* raw = PQconnectdb(withTimeout(config).c_str());
  PgConnection conn(raw);
  if (!raw) return makeError("database: out of memory");
  if (PQstatus(raw) != CONNECTION_OK)
    return makeError(fmt::format("database connection failed: {}", firstLine(PQerrorMessage(raw))));
  (void)conn.exec("SET application_name = 'waybill'");
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

Result<PgResult> PgConnection::exec(std::string_view sql, const std::vector<PgParam>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  const std::string statement(sql);
  return check(PQexecParams(conn_.get(), statement.c_str(), static_cast<int>(values.size()), nullptr,
                            values.data(), nullptr, nullptr, 0));
}

Result<PgResult> PgConnection::execPrepared(const std::string& name, std::string_view sql,
                                            const std::vector<PgParam>& params) {
  if (!prepared_.contains(name)) {
    const std::string statement(sql);
    auto done = check(PQprepare(conn_.get(), name.c_str(), statement.c_str(), static_cast<int>(params.size()), nullptr));
    if (!done) return makeError(done.error());
    prepared_.insert(name);
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  return check(PQexecPrepared(conn_.get(), name.c_str(), static_cast<int>(values.size()), values.data(), nullptr,
                              nullptr, 0));
}

Result<PgResult> PgConnection::execScript(std::string_view sql) {
  const std::string script(sql);
  return check(PQexec(conn_.get(), script.c_str()));
}

}  // namespace waybill
