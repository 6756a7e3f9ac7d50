// `waybill db migrate [--migrations DIR]`: applies pending schema migrations, idempotently.
// The migrations are looked for where the build or the package puts them beside the binary
// (BIN/../share/waybill/sql/migrations), then in the install prefix.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "cli_support.h"
#include "commands.h"
#include "store/database_setup.h"
#include "store/migrator.h"
#include "run_as.h"

namespace waybill::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kUsage =
    "usage: waybill db init [--admin-url URL] [--migrations DIR]\n"
    "           create the role and database of database.url (password in the URL: password\n"
    "           authentication; none: peer, for the Unix user of that name), one role per daemon\n"
    "           (waybill_milter, waybill_trackd, ...: database.role), then the schema and grants;\n"
    "           as root the superuser is reached as the Unix user postgres (idempotent)\n"
    "       waybill db migrate [--migrations DIR]          apply pending schema migrations (idempotent)\n"
    "       waybill db prune --older-than 13months [--dry-run]   drop whole months of old events\n";

fs::path besideBinary() {
  std::array<char, 4096> path{};
  const ssize_t length = ::readlink("/proc/self/exe", path.data(), path.size() - 1);
  if (length <= 0) return {};
  return fs::path(std::string(path.data(), static_cast<std::size_t>(length))).parent_path().parent_path() /
         "share/waybill/sql/migrations";
}

// --migrations, then $WAYBILL_MIGRATIONS_DIR, then beside the binary, then the install prefix.
std::vector<fs::path> migrationsCandidates(const std::string& given) {
  if (!given.empty()) return {given};
  if (const char* env = std::getenv("WAYBILL_MIGRATIONS_DIR")) return {env};
  std::vector<fs::path> candidates;
  if (auto beside = besideBinary(); !beside.empty()) candidates.push_back(beside);
  candidates.emplace_back(std::string(WAYBILL_DATADIR) + "/sql/migrations");
  return candidates;
}

// The first candidate that is a directory, or an empty path after saying where it looked.
fs::path findMigrations(const std::string& given, const char* who) {
  std::string searched;
  for (const auto& directory : migrationsCandidates(given)) {
    std::error_code ignored;
    if (fs::is_directory(directory, ignored)) return directory;
    searched += (searched.empty() ? "" : ", ") + directory.string();
  }
  fmt::print(stderr, "waybill {}: no migrations directory found (looked in {}); give the sql/migrations "
             "folder of the Waybill source or package with --migrations DIR\n", who, searched);
  return {};
}

int applyFrom(const Config& config, const fs::path& directory, const char* who) {
  auto migrations = loadMigrations(directory.string());
  if (!migrations) {
    fmt::print(stderr, "waybill {}: {}\n", who, migrations.error());
    return kExitNoInput;
  }
  int failed = 0;
  auto conn = openDatabase(config, who, failed);
  if (!conn) return failed;
  auto applied = applyMigrations(*conn, *migrations);
  if (!applied) {
    fmt::print(stderr, "waybill {}: {}\n", who, applied.error());
    return kExitSoftware;
  }
  for (const auto& name : *applied) fmt::print("applied {}\n", name);
  if (applied->empty()) fmt::print("schema up to date ({} migrations in {})\n", migrations->size(), directory.string());
  // Every migrate grants again, so roles made after the migration that defined them get theirs.
  auto granted = grantDaemonRoles(*conn);
  if (!granted) {
    fmt::print(stderr, "waybill {}: granting the daemon roles: {}\n", who, granted.error());
    return kExitSoftware;
  }
  if (!granted->empty()) fmt::print("granted {}\n", fmt::join(*granted, ", "));
  return 0;
}

int migrate(const Config& config, const Args& args) {
  std::string given;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--migrations" && i + 1 < args.size()) given = args[++i];
    else {
      fmt::print(stderr, "waybill db migrate: unexpected argument '{}'\n{}", args[i], kUsage);
      return kExitUsage;
    }
  }
  const fs::path directory = findMigrations(given, "db migrate");
  return directory.empty() ? kExitNoInput : applyFrom(config, directory, "db migrate");
}

int createAsSuperuser(const std::string& admin_conninfo, const ConnectionTarget& target) {
  auto admin = PgConnection::connect(DatabaseConfig{admin_conninfo});
  if (!admin) {
    fmt::print(stderr, "waybill db init: as the database superuser: {}\n", admin.error());
    return kExitTempFail;
  }
  auto outcome = createRoleAndDatabase(*admin, target);
  if (!outcome) {
    fmt::print(stderr, "waybill db init: {}\n", outcome.error());
    return kExitSoftware;
  }
  fmt::print("role {} {}; database {} {}\n", target.role, outcome->created_role ? "created" : "exists",
             target.database, outcome->created_database ? "created" : "exists");
  auto daemons = createDaemonRoles(*admin);
  if (!daemons) {
    fmt::print(stderr, "waybill db init: {}\n", daemons.error());
    return kExitSoftware;
  }
  if (!daemons->empty()) fmt::print("daemon roles created: {}\n", fmt::join(*daemons, ", "));
  return 0;
}

// `waybill db init [--admin-url URL] [--migrations DIR]`: the role and database of database.url,
// then the schema. Without --admin-url the superuser is `postgres` on the same server, reached as
// the Unix user postgres when the URL points at the local socket and this runs as root.
int init(const Config& config, const Args& args) {
  std::string admin_url, given;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const bool has_value = i + 1 < args.size();
    if (args[i] == "--admin-url" && has_value) admin_url = args[++i];
    else if (args[i] == "--migrations" && has_value) given = args[++i];
    else {
      fmt::print(stderr, "waybill db init: unexpected argument '{}'\n{}", args[i], kUsage);
      return kExitUsage;
    }
  }
  auto target = parseConnectionTarget(config.database.url);
  if (!target) {
    fmt::print(stderr, "waybill db init: {}\n", target.error());
    return kExitConfig;
  }
  const fs::path directory = findMigrations(given, "db init");
  if (directory.empty()) return kExitNoInput;
  const bool as_root = ::geteuid() == 0;
  const bool peer_superuser = admin_url.empty() && target->viaLocalSocket() && as_root;
  const std::string admin = admin_url.empty() ? adminConninfo(*target, "postgres") : admin_url;
  const auto create = [&] { return createAsSuperuser(admin, *target); };
  if (const int created = peer_superuser ? runAs("postgres", create) : create(); created != 0) return created;
  // Peer authentication: the schema is made by the role's own Unix user, so it owns the tables.
  const bool peer_owner = target->password.empty() && target->viaLocalSocket() && as_root;
  const auto apply = [&] { return applyFrom(config, directory, "db init"); };
  const int applied = peer_owner ? runAs(target->role, apply) : apply();
  if (applied == 0)
    fmt::print("ready: the daemons connect with database.url ({} authentication)\n",
               target->password.empty() ? "peer" : "password");
  return applied;
}

}  // namespace

int runDb(const Config& config, const Args& args) {
  if (!args.empty() && args[0] == "init") return init(config, Args(args.begin() + 1, args.end()));
  if (!args.empty() && args[0] == "migrate") return migrate(config, Args(args.begin() + 1, args.end()));
  if (!args.empty() && args[0] == "prune") return pruneEvents(config, Args(args.begin() + 1, args.end()));
  return usageError("db", args.empty() ? "give init, migrate or prune" : unexpected(args[0]), kUsage);
}

const char* dbUsage() { return kUsage; }

}  // namespace waybill::cli
