// `waybill suppress add|remove RECIPIENT (--sender ADDRESS | --domain DOMAIN | --global)
// [--reason REASON]` and `waybill suppress list [RECIPIENT]`. Rows go straight to the
// suppressions table; its trigger tells every waybill-policyd within a second.
#include <fmt/format.h>

#include <optional>

#include "commands.h"
#include "db/pg_connection.h"
#include "mail/address.h"
#include "policy/suppression.h"

namespace waybill::cli {
namespace {

constexpr const char* kUsage =
    "usage: waybill suppress add RECIPIENT [--sender ADDRESS | --domain DOMAIN | --global] [--reason REASON]\n"
    "       waybill suppress remove RECIPIENT (--sender ADDRESS | --domain DOMAIN | --global)\n"
    "       waybill suppress list [RECIPIENT]\n"
    "REASON: unsubscribed, hard_bounce, soft_bounce, complaint, manual (default manual); without a scope\n"
    "flag the reason's default scope from [policyd] scope_* applies.\n";

struct SuppressArgs {
  std::string recipient;
  std::optional<policy::SuppressionScope> scope;
  std::string scope_value;
  policy::SuppressionReason reason = policy::SuppressionReason::Manual;
};

Result<SuppressArgs> parseArgs(const Args& args) {
  SuppressArgs parsed;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const bool has_value = i + 1 < args.size();
    if ((arg == "--sender" || arg == "--domain") && has_value) {
      parsed.scope = arg == "--sender" ? policy::SuppressionScope::Sender : policy::SuppressionScope::Domain;
      parsed.scope_value = toLower(stripAngles(args[++i]));
    } else if (arg == "--global") {
      parsed.scope = policy::SuppressionScope::Global;
    } else if (arg == "--reason" && has_value) {
      auto reason = policy::parseSuppressionReason(args[++i]);
      if (!reason) return makeError("--reason: " + reason.error());
      parsed.reason = *reason;
    } else if (arg[0] != '-' && parsed.recipient.empty()) {
      parsed.recipient = toLower(stripAngles(arg));
    } else {
      return makeError(fmt::format("unexpected argument '{}'", arg));
    }
  }
  if (parsed.recipient.find('@') == std::string::npos) return makeError("RECIPIENT must be an address");
  return parsed;
}

template <typename... T>
int fail(int exit_code, fmt::format_string<T...> format, T&&... args) {
  fmt::print(stderr, format, std::forward<T>(args)...);
  return exit_code;
}

Result<PgConnection> connect(const Config& config) { return PgConnection::connect(config.database); }

int add(const Config& config, SuppressArgs args) {
  const auto scope = args.scope.value_or(config.policyd.default_scopes.forReason(args.reason));
  if (scope != policy::SuppressionScope::Global && args.scope_value.empty()) {
    fmt::print(stderr, "waybill suppress add: the {} scope needs --{} (default scope of reason {})\n",
               policy::scopeName(scope), scope == policy::SuppressionScope::Sender ? "sender" : "domain",
               policy::reasonName(args.reason));
    return 64;
  }
  if (scope == policy::SuppressionScope::Global) args.scope_value.clear();
  auto conn = connect(config);
  if (!conn) return fail(75, "waybill suppress: {}\n", conn.error());
  auto done = conn->exec(
      "INSERT INTO suppressions (recipient, scope, scope_value, reason, source) VALUES ($1, $2, $3, $4, 'cli') "
      "ON CONFLICT (recipient, scope, scope_value) DO UPDATE SET reason = EXCLUDED.reason, source = 'cli'",
      {args.recipient, policy::scopeName(scope), args.scope_value, policy::reasonName(args.reason)});
  if (!done) return fail(70, "waybill suppress add: {}\n", done.error());
  fmt::print("suppressed {} ({} {}) reason {}\n", args.recipient, policy::scopeName(scope), args.scope_value,
             policy::reasonName(args.reason));
  return 0;
}

int remove(const Config& config, const SuppressArgs& args) {
  if (!args.scope) return fail(64, "{}", kUsage);
  auto conn = connect(config);
  if (!conn) return fail(75, "waybill suppress: {}\n", conn.error());
  auto done = conn->exec("DELETE FROM suppressions WHERE recipient = $1 AND scope = $2 AND scope_value = $3",
                         {args.recipient, policy::scopeName(*args.scope), args.scope_value});
  if (!done) return fail(70, "waybill suppress remove: {}\n", done.error());
  if (done->affected() == "0") {
    fmt::print(stderr, "waybill suppress remove: no such suppression\n");
    return 1;
  }
  fmt::print("removed {} ({} {})\n", args.recipient, policy::scopeName(*args.scope), args.scope_value);
  return 0;
}

int list(const Config& config, const Args& args) {
  if (args.size() > 1) return fail(64, "{}", kUsage);
  auto conn = connect(config);
  if (!conn) return fail(75, "waybill suppress: {}\n", conn.error());
  const std::string sql =
      "SELECT recipient, scope, scope_value, reason, coalesce(source, ''), "
      "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM suppressions";
  auto rows = args.empty() ? conn->exec(sql + " ORDER BY recipient, scope, scope_value")
                           : conn->exec(sql + " WHERE recipient = $1 ORDER BY scope, scope_value",
                                        {toLower(stripAngles(args[0]))});
  if (!rows) return fail(70, "waybill suppress list: {}\n", rows.error());
  fmt::print("{:<40} {:<7} {:<30} {:<13} {:<8} {}\n", "RECIPIENT", "SCOPE", "SENDER/DOMAIN", "REASON", "SOURCE", "SINCE");
  for (int r = 0; r < rows->rows(); ++r)
    fmt::print("{:<40} {:<7} {:<30} {:<13} {:<8} {}\n", rows->get(r, 0), rows->get(r, 1), rows->get(r, 2),
               rows->get(r, 3), rows->get(r, 4), rows->get(r, 5));
  return 0;
}

}  // namespace

int runSuppress(const Config& config, const Args& args) {
  if (args.empty()) return fail(64, "{}", kUsage);
  const Args rest(args.begin() + 1, args.end());
  if (args[0] == "list") return list(config, rest);
  if (args[0] != "add" && args[0] != "remove") return fail(64, "{}", kUsage);
  auto parsed = parseArgs(rest);
  if (!parsed) return fail(64, "waybill suppress {}: {}\n{}", args[0], parsed.error(), kUsage);
  return args[0] == "add" ? add(config, *parsed) : remove(config, *parsed);
}

}  // namespace waybill::cli
