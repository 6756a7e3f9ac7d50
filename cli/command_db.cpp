// `waybill db migrate [--migrations DIR]`: applies pending schema migrations, idempotently.
#include <fmt/format.h>

#include <cstdlib>

#include "commands.h"
#include "db/migrator.h"

namespace waybill::cli {
namespace {

std::string defaultMigrationsDir() {
  if (const char* env = std::getenv("WAYBILL_MIGRATIONS_DIR")) return env;
  return std::string(WAYBILL_DATADIR) + "/sql/migrations";
}

int migrate(const Config& config, const Args& args) {
  std::string directory = defaultMigrationsDir();
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--migrations" && i + 1 < args.size()) directory = args[++i];
    else {
      fmt::print(stderr, "waybill db migrate: unexpected argument '{}'\n", args[i]);
      return 64;
    }
  }
  auto migrations = loadMigrations(directory);
  if (!migrations) {
    fmt::print(stderr, "waybill db migrate: {}\n", migrations.error());
    return 66;
  }
  auto conn = PgConnection::connect(config.database);
  if (!conn) {
    fmt::print(stderr, "waybill db migrate: {}\n", conn.error());
    return 75;
  }
  auto applied = applyMigrations(*conn, *migrations);
  if (!applied) {
    fmt::print(stderr, "waybill db migrate: {}\n", applied.error());
    return 70;
  }
  for (const auto& name : *applied) fmt::print("applied {}\n", name);
  if (applied->empty()) fmt::print("schema up to date ({} migrations)\n", migrations->size());
  return 0;
}

}  // namespace

int runDb(const Config& config, const Args& args) {
  if (!args.empty() && args[0] == "migrate") return migrate(config, Args(args.begin() + 1, args.end()));
  if (!args.empty() && args[0] == "prune") return pruneEvents(config, Args(args.begin() + 1, args.end()));
  fmt::print(stderr, "usage: waybill db migrate [--migrations DIR]\n       waybill db prune --older-than 13months [--dry-run]\n");
  return 64;
}

}  // namespace waybill::cli
