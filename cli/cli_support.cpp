#include "cli_support.h"

#include <fmt/format.h>

#include <optional>

namespace waybill::cli {

int usageError(std::string_view who, std::string_view problem, std::string_view usage) {
  fmt::print(stderr, "waybill {}: {}\n{}", who, problem, usage);
  return kExitUsage;
}

std::string unexpected(const std::string& argument) { return fmt::format("unexpected argument '{}'", argument); }

std::optional<PgConnection> openDatabase(const Config& config, std::string_view who, int& exit_code) {
  if (config.database.url.empty()) {
    fmt::print(stderr, "waybill {}: option 'database.url' is not set (configuration file or --database.url)\n", who);
    exit_code = kExitConfig;
    return std::nullopt;
  }
  // An operator waits for reports and migrations as long as they take (Ctrl-C ends them), so the
  // daemons' database.timeout does not apply here.
  DatabaseConfig database = config.database;
  database.timeout_seconds = 0;
  auto conn = PgConnection::connect(database);
  if (!conn) {
    fmt::print(stderr, "waybill {}: cannot reach the database: {}\n", who, conn.error());
    exit_code = kExitTempFail;
    return std::nullopt;
  }
  return std::move(*conn);
}

}  // namespace waybill::cli
