// What every `waybill` command shares: one exit-status scheme (sysexits.h) and opening the
// database with the status that tells the operator what kind of failure it was.
#pragma once

#include <string>
#include <string_view>

#include "config/config.h"
#include "store/pg_connection.h"

namespace waybill::cli {

// The exit statuses of every command, written down in the README:
inline constexpr int kExitUsage = 64;        // wrong arguments or a malformed value given to them
inline constexpr int kExitNoInput = 66;      // a file or directory to read is missing
inline constexpr int kExitSoftware = 70;     // the database refused a statement (a bug or a schema too old)
inline constexpr int kExitCantCreate = 73;   // an output file cannot be written
inline constexpr int kExitTempFail = 75;     // the database is unreachable now; trying again later may work
inline constexpr int kExitConfig = 78;       // the configuration is missing or wrong (e.g. no database.url)

// Prints "waybill WHO: PROBLEM" and the command's usage to stderr; returns kExitUsage.
int usageError(std::string_view who, std::string_view problem, std::string_view usage);
// The first argument that is not one the command understands, quoted for usageError's PROBLEM.
std::string unexpected(const std::string& argument);

// The connection, or nullopt after printing "waybill WHO: ..." with the reason: exit_code is set
// to kExitConfig when database.url is not set and to kExitTempFail when the server is unreachable.
std::optional<PgConnection> openDatabase(const Config& config, std::string_view who, int& exit_code);

}  // namespace waybill::cli
