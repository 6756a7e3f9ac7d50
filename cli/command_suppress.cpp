// `waybill suppress add|remove RECIPIENT (--sender ADDRESS | --domain DOMAIN | --global)
// [--reason REASON]` and `waybill suppress list [RECIPIENT]`. Rows go straight to the
// suppressions table; its trigger tells every waybill-policyd within a second.
#include <fmt/format.h>

#include <optional>

#include "cli_support.h"
#include "commands.h"
#include "store/pg_connection.h"
#include "store/suppression_store.h"
#include "mail/address.h"
#include "mail/address_syntax.h"
#include "policy/policyd_settings.h"
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

Result<void> setScope(SuppressArgs& parsed, policy::SuppressionScope scope, const std::string& flag) {
  if (parsed.scope) return makeError(fmt::format("{} conflicts with an earlier scope flag: give one of --sender, --domain, --global", flag));
  parsed.scope = scope;
  return {};
}

// An address typed by the operator, checked against RFC 5321 and lower-cased as the index keeps it.
Result<std::string> checkedAddress(const std::string& text, std::string_view what) {
  auto address = parseMailbox(text);
  if (!address) return makeError(fmt::format("{} '{}': {}", what, text, address.error()));
  return toLower(*address);
}

Result<SuppressArgs> parseArgs(const Args& args) {
  SuppressArgs parsed;
  bool have_recipient = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const bool has_value = i + 1 < args.size();
    if (arg == "--sender" && has_value) {
      if (auto set = setScope(parsed, policy::SuppressionScope::Sender, arg); !set) return makeError(set.error());
      auto sender = checkedAddress(args[++i], "--sender");
      if (!sender) return makeError(sender.error());
      parsed.scope_value = *sender;
    } else if (arg == "--domain" && has_value) {
      if (auto set = setScope(parsed, policy::SuppressionScope::Domain, arg); !set) return makeError(set.error());
      auto domain = parseDomain(args[++i]);
      if (!domain) return makeError(fmt::format("--domain '{}': {}", args[i], domain.error()));
      parsed.scope_value = *domain;
    } else if (arg == "--global") {
      if (auto set = setScope(parsed, policy::SuppressionScope::Global, arg); !set) return makeError(set.error());
    } else if (arg == "--reason" && has_value) {
      auto reason = policy::parseSuppressionReason(args[++i]);
      if (!reason) return makeError("--reason: " + reason.error());
      parsed.reason = *reason;
    } else if (arg[0] != '-' && !have_recipient) {
      auto recipient = checkedAddress(arg, "RECIPIENT");
      if (!recipient) return makeError(recipient.error());
      parsed.recipient = *recipient;
      have_recipient = true;
    } else {
      return makeError(fmt::format("unexpected argument '{}'", arg));
    }
  }
  if (!have_recipient) return makeError("RECIPIENT (an address) is missing");
  return parsed;
}

template <typename... T>
int fail(int exit_code, fmt::format_string<T...> format, T&&... args) {
  fmt::print(stderr, format, std::forward<T>(args)...);
  return exit_code;
}

int add(const Config& config, SuppressArgs args) {
  const auto scope = args.scope.value_or(policy::scopeDefaults(config.policyd)->forReason(args.reason));
  if (scope != policy::SuppressionScope::Global && args.scope_value.empty()) {
    fmt::print(stderr, "waybill suppress add: the {} scope needs --{} (default scope of reason {})\n",
               policy::scopeName(scope), scope == policy::SuppressionScope::Sender ? "sender" : "domain",
               policy::reasonName(args.reason));
    return kExitUsage;
  }
  if (scope == policy::SuppressionScope::Global) args.scope_value.clear();
  int failed = 0;
  auto conn = openDatabase(config, "suppress add", failed);
  if (!conn) return failed;
  // The operator's word replaces the reason of an existing suppression (store/suppression_store.h).
  auto done = store::addSuppression(*conn,
                                    {.recipient = args.recipient,
                                     .scope = policy::scopeName(scope),
                                     .scope_value = args.scope_value,
                                     .reason = policy::reasonName(args.reason),
                                     .source = "cli"},
                                    store::Existing::Replace);
  if (!done) return fail(kExitSoftware, "waybill suppress add: {}\n", done.error());
  fmt::print("suppressed {} ({} {}) reason {}\n", args.recipient, policy::scopeName(scope), args.scope_value,
             policy::reasonName(args.reason));
  return 0;
}

int remove(const Config& config, const SuppressArgs& args) {
  if (!args.scope) return fail(kExitUsage, "waybill suppress remove: give the scope: --sender, --domain or --global\n{}", kUsage);
  int failed = 0;
  auto conn = openDatabase(config, "suppress remove", failed);
  if (!conn) return failed;
  auto done = store::removeSuppression(*conn, args.recipient, policy::scopeName(*args.scope), args.scope_value);
  if (!done) return fail(kExitSoftware, "waybill suppress remove: {}\n", done.error());
  if (!*done) {
    fmt::print(stderr, "waybill suppress remove: no such suppression\n");
    return 1;
  }
  fmt::print("removed {} ({} {})\n", args.recipient, policy::scopeName(*args.scope), args.scope_value);
  return 0;
}

int list(const Config& config, const Args& args) {
  if (args.size() > 1 || (args.size() == 1 && args[0][0] == '-')) return usageError("suppress list", unexpected(args.back()), kUsage);
  int failed = 0;
  auto conn = openDatabase(config, "suppress list", failed);
  if (!conn) return failed;
  auto rows = store::listSuppressions(
      *conn, args.empty() ? std::nullopt : std::optional<std::string>(toLower(stripAngles(args[0]))));
  if (!rows) return fail(kExitSoftware, "waybill suppress list: {}\n", rows.error());
  fmt::print("{:<40} {:<7} {:<30} {:<13} {:<8} {}\n", "RECIPIENT", "SCOPE", "SENDER/DOMAIN", "REASON", "SOURCE", "SINCE");
  for (const store::SuppressionListing& row : *rows)
    fmt::print("{:<40} {:<7} {:<30} {:<13} {:<8} {}\n", row.recipient, row.scope, row.scope_value, row.reason,
               row.source, row.since);
  return 0;
}

}  // namespace

int runSuppress(const Config& config, const Args& args) {
  if (args.empty()) return usageError("suppress", "give add, remove or list", kUsage);
  const Args rest(args.begin() + 1, args.end());
  if (args[0] == "list") return list(config, rest);
  if (args[0] != "add" && args[0] != "remove") return usageError("suppress", unexpected(args[0]), kUsage);
  auto parsed = parseArgs(rest);
  if (!parsed) return fail(kExitUsage, "waybill suppress {}: {}\n{}", args[0], parsed.error(), kUsage);
  return args[0] == "add" ? add(config, *parsed) : remove(config, *parsed);
}

const char* suppressUsage() { return kUsage; }

}  // namespace waybill::cli
