// DatabaseSetup: what `waybill db init` does as the database superuser — the login role and the
// database named in database.url, and one role per daemon, created when missing, idempotently. The URL decides the
// authentication: with a password in it the role gets that password (password/scram), without
// one the role is for peer authentication over the local socket (the OS user of the same name).
#pragma once

#include <string>
#include <vector>

#include "store/pg_connection.h"
#include "util/result.h"

namespace waybill {

// The parts of a libpq URL or conninfo string that setup needs.
struct ConnectionTarget {
  std::string role;      // user=
  std::string database;  // dbname= (default: the role)
  std::string host;      // empty or a directory: the local socket
  std::string port;
  std::string password;  // empty: peer (or trust) authentication
  bool viaLocalSocket() const { return host.empty() || host.front() == '/'; }
};

// Parses database.url with libpq's own parser; the role and database must be plain identifiers
// (lower-case letters, digits, '_'), so they can be created without quoting surprises.
Result<ConnectionTarget> parseConnectionTarget(const std::string& url);
// A conninfo string for the superuser `admin_role` on the same server (database postgres).
std::string adminConninfo(const ConnectionTarget& target, const std::string& admin_role);

struct SetupOutcome {
  bool created_role = false;
  bool created_database = false;
};

// Creates the role (LOGIN, with the target's password if any; an existing role's password is
// set again) and the database owned by it, each only when missing.
Result<SetupOutcome> createRoleAndDatabase(PgConnection& admin, const ConnectionTarget& target);

// One role per daemon (waybill_milter, waybill_trackd, ...), as the package's units set
// database.role and Unix users of the same names: LOGIN for peer authentication, no password,
// owning nothing. Their privileges come from the schema (waybill_grant_daemon_roles(), migration
// 0015), granted by the schema owner after migrating.
const std::vector<std::string>& daemonRoles();
// Creates the daemon roles that are missing; returns the names created.
Result<std::vector<std::string>> createDaemonRoles(PgConnection& admin);
// As the schema owner: grants each daemon role what it needs (a no-op before migration 0015);
// returns the roles granted.
Result<std::vector<std::string>> grantDaemonRoles(PgConnection& owner);

}  // namespace waybill
