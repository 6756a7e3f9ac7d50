#include "store/migrator.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace waybill {
namespace {

// Arbitrary constant shared by every Waybill migrator: serialises concurrent runs.
constexpr const char* kLockKey = "7261796269";

const char* kCreateLedger =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer PRIMARY KEY,"
    " name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

}  // namespace

Result<std::vector<Migration>> loadMigrations(const std::string& directory) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(directory, ec)) return makeError(fmt::format("migrations directory '{}' not found", directory));
  static const std::regex kName(R"((\d{4})_[a-z0-9_]+\.sql)");
  std::vector<Migration> migrations;
  for (const auto& entry : fs::directory_iterator(directory)) {
    const std::string name = entry.path().filename().string();
    std::smatch match;
    if (!std::regex_match(name, match, kName)) continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    migrations.push_back({std::stoi(match[1].str()), name, text.str()});
  }
  std::sort(migrations.begin(), migrations.end(), [](auto& a, auto& b) { return a.version < b.version; });
  // Gaps are allowed (parts of the tree reserve numbers); a number used twice is not.
  for (std::size_t i = 1; i < migrations.size(); ++i) {
    if (migrations[i].version == migrations[i - 1].version)
      return makeError(fmt::format("migrations '{}' and '{}' share a number", migrations[i - 1].name, migrations[i].name));
  }
  if (migrations.empty()) return makeError(fmt::format("no migrations in '{}'", directory));
  return migrations;
}

Result<std::vector<std::string>> applyMigrations(PgConnection& conn, const std::vector<Migration>& migrations) {
  if (auto lock = conn.exec(fmt::format("SELECT pg_advisory_lock({})", kLockKey)); !lock) return makeError(lock.error());
  auto unlock = [&] { (void)conn.exec(fmt::format("SELECT pg_advisory_unlock({})", kLockKey)); };
  if (auto ledger = conn.exec(kCreateLedger); !ledger) {
    unlock();
    return makeError(ledger.error());
  }
  auto done = conn.exec("SELECT version FROM schema_migrations");
  if (!done) {
    unlock();
    return makeError(done.error());
  }
  std::set<int> applied_versions;
  for (int r = 0; r < done->rows(); ++r) applied_versions.insert(std::stoi(std::string(done->get(r, 0))));

  std::vector<std::string> applied;
  for (const auto& migration : migrations) {
    if (applied_versions.count(migration.version)) continue;
    Status status = inTransaction(conn, [&]() -> Status {
      if (auto r = conn.execScript(migration.sql); !r) return makeError(fmt::format("{}: {}", migration.name, r.error()));
      if (auto r = conn.exec("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                             {std::to_string(migration.version), migration.name});
          !r)
        return makeError(r.error());
      return {};
    });
    if (!status) {
      unlock();
      return makeError(status.error());
    }
    applied.push_back(migration.name);
  }
  unlock();
  return applied;
}

}  // namespace waybill
