#include "config/database_options.h"

#include <fmt/format.h>

#include <algorithm>

#include "config/option_checks.h"

namespace waybill {
namespace {

// A role name goes into the connection string unquoted: plain names only (as `waybill db init` makes).
Status requirePlainRole(const std::string& role) {
  const bool plain = role.size() <= 63 && std::all_of(role.begin(), role.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
  if (plain) return {};
  return makeError(fmt::format("option 'database.role': '{}' is not a plain role name (a-z, 0-9, _)", role));
}

}  // namespace

void addDatabaseOptions(po::options_description& desc) {
  const DatabaseConfig d;
  desc.add_options()
      ("database.url", po::value<std::string>(), "PostgreSQL URL (postgresql://...) or libpq conninfo")
      ("database.role", po::value<std::string>()->default_value(""),
       "connect as this role instead of database.url's user (the package's units give each daemon its own)")
      ("database.pool_size", po::value<int>()->default_value(d.pool_size), "connections per daemon")
      ("database.connect_timeout", po::value<int>()->default_value(d.connect_timeout_seconds), "seconds")
      ("database.timeout", po::value<int>()->default_value(d.timeout_seconds), "seconds a statement, lock or pooled connection may be waited for (then tempfail)");
}

Status buildDatabase(const po::variables_map& vm, DatabaseConfig& database) {
  database.url = stringOr(vm, "database.url");
  database.role = vm["database.role"].as<std::string>();
  if (auto s = requirePlainRole(database.role); !s) return s;
  database.pool_size = vm["database.pool_size"].as<int>();
  database.connect_timeout_seconds = vm["database.connect_timeout"].as<int>();
  database.timeout_seconds = vm["database.timeout"].as<int>();
  for (auto [key, value] : {std::pair{"database.timeout", database.timeout_seconds},
                            std::pair{"database.pool_size", database.pool_size},
                            std::pair{"database.connect_timeout", database.connect_timeout_seconds}})
    if (auto s = requirePositive(key, value); !s) return s;
  return {};
}

}  // namespace waybill
