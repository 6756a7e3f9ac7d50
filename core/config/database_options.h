// The [database] section: how every program reaches PostgreSQL.
#pragma once

#include <boost/program_options.hpp>
#include <string>

#include "util/result.h"

namespace waybill {

struct DatabaseConfig {
  std::string url;  // postgresql://... or a libpq conninfo
  int pool_size = 4;
  int connect_timeout_seconds = 5;
  // Longest wait for the database: one statement or lock (server side and client side), a free
  // pooled connection, unanswered TCP data. A hung server then costs this long, not forever.
  // 0: unbounded (operator commands such as migrations; not settable from the file).
  int timeout_seconds = 10;
  std::string role = "";  // connect as this role instead of url's user (each packaged daemon has its own)
};

void addDatabaseOptions(boost::program_options::options_description& desc);
Status buildDatabase(const boost::program_options::variables_map& vm, DatabaseConfig& database);

}  // namespace waybill
