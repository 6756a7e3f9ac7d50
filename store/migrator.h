// Migrator: applies the numbered SQL files of sql/migrations (NNNN_name.sql, forward only) that a
// database has not seen yet. Each file runs in its own transaction under an advisory lock, so two
// concurrent `waybill db migrate` runs, or daemons running meanwhile, are safe; a second run is a
// no-op.
#pragma once

#include <string>
#include <vector>

#include "store/pg_connection.h"
#include "util/result.h"

namespace waybill {

struct Migration {
  int version = 0;
  std::string name;  // file name
  std::string sql;
};

// Reads and orders the migrations in a directory; rejects duplicate numbers.
Result<std::vector<Migration>> loadMigrations(const std::string& directory);

// Returns the names of the migrations applied by this call (empty when up to date).
Result<std::vector<std::string>> applyMigrations(PgConnection& conn, const std::vector<Migration>& migrations);

}  // namespace waybill
