#include "store/database_setup.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <memory>

namespace waybill {
namespace {

bool isPlainIdentifier(const std::string& name) {
  return !name.empty() && name.size() <= 63 && (std::islower(static_cast<unsigned char>(name[0])) != 0 || name[0] == '_') &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::islower(static_cast<unsigned char>(c)) != 0 || std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '_';
         });
}

std::string conninfoValue(const std::string& value) {
  std::string quoted = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "'";
}

}  // namespace

Result<ConnectionTarget> parseConnectionTarget(const std::string& url) {
  if (url.empty()) return makeError("option 'database.url' is not set");
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(PQconninfoParse(url.c_str(), &error),
                                                                        PQconninfoFree);
  if (!options) {
    std::string why = error ? error : "cannot be parsed";
    PQfreemem(error);
    while (!why.empty() && why.back() == '\n') why.pop_back();
    return makeError("option 'database.url': " + why);
  }
  ConnectionTarget target;
  for (const PQconninfoOption* option = options.get(); option->keyword; ++option) {
    const std::string keyword = option->keyword;
    const std::string value = option->val ? option->val : "";
    if (keyword == "user") target.role = value;
    else if (keyword == "dbname") target.database = value;
    else if (keyword == "host") target.host = value;
    else if (keyword == "port") target.port = value;
    else if (keyword == "password") target.password = value;
  }
  if (target.role.empty()) return makeError("option 'database.url' names no user (e.g. postgresql://waybill@/waybill)");
  if (target.database.empty()) target.database = target.role;
  for (const auto* name : {&target.role, &target.database})
    if (!isPlainIdentifier(*name))
      return makeError(fmt::format("option 'database.url': '{}' is not a plain name (a-z, 0-9, _)", *name));
  return target;
}

std::string adminConninfo(const ConnectionTarget& target, const std::string& admin_role) {
  std::string conninfo = fmt::format("user={} dbname=postgres", conninfoValue(admin_role));
  if (!target.host.empty()) conninfo += " host=" + conninfoValue(target.host);
  if (!target.port.empty()) conninfo += " port=" + conninfoValue(target.port);
  return conninfo;
}

Result<SetupOutcome> createRoleAndDatabase(PgConnection& admin, const ConnectionTarget& target) {
  SetupOutcome outcome;
  auto role = admin.exec("SELECT 1 FROM pg_roles WHERE rolname = $1", {target.role});
  if (!role) return makeError(role.error());
  // Identifiers are plain names (checked when parsed); the password goes through quote_literal.
  const std::string password_clause =
      target.password.empty() ? std::string() : " PASSWORD %L";
  const std::string verb = role->rows() == 0 ? "CREATE" : "ALTER";
  outcome.created_role = role->rows() == 0;
  auto statement = admin.exec(
      fmt::format("SELECT format('{} ROLE {} LOGIN{}', $1::text)", verb, target.role, password_clause),
      {target.password});
  if (!statement) return makeError(statement.error());
  if (auto done = admin.exec(statement->get(0, 0)); !done) return makeError(done.error());
  auto database = admin.exec("SELECT 1 FROM pg_database WHERE datname = $1", {target.database});
  if (!database) return makeError(database.error());
  if (database->rows() == 0) {
    // CREATE DATABASE cannot run inside a transaction block, so it is its own statement.
    auto created = admin.exec(fmt::format("CREATE DATABASE {} OWNER {}", target.database, target.role));
    if (!created) return makeError(created.error());
    outcome.created_database = true;
  }
  return outcome;
}

const std::vector<std::string>& daemonRoles() {
  static const std::vector<std::string> roles = {"waybill_milter", "waybill_policyd",  "waybill_trackd", "waybill_pipe",
                                                 "waybill_webhookd", "waybill_logd", "waybill_apid"};
  return roles;
}

Result<std::vector<std::string>> createDaemonRoles(PgConnection& admin) {
  std::vector<std::string> created;
  for (const auto& role : daemonRoles()) {
    auto exists = admin.exec("SELECT 1 FROM pg_roles WHERE rolname = $1", {role});
    if (!exists) return makeError(exists.error());
    if (exists->rows() > 0) continue;
    // NOINHERIT and no membership: a daemon's role has only what is granted to it by name.
    if (auto made = admin.exec(fmt::format("CREATE ROLE {} LOGIN NOINHERIT", role)); !made) return makeError(made.error());
    created.push_back(role);
  }
  return created;
}

Result<std::vector<std::string>> grantDaemonRoles(PgConnection& owner) {
  auto present = owner.exec("SELECT to_regproc('waybill_grant_daemon_roles') IS NOT NULL");
  if (!present) return makeError(present.error());
  if (present->get(0, 0) != "t") return std::vector<std::string>{};
  auto granted = owner.exec("SELECT unnest(waybill_grant_daemon_roles())");
  if (!granted) return makeError(granted.error());
  std::vector<std::string> roles;
  for (int row = 0; row < granted->rows(); ++row) roles.emplace_back(granted->get(row, 0));
  return roles;
}

}  // namespace waybill
