// waybill: the operator's command. Global options (--config FILE, --section.key VALUE) come
// before the command, so a command's own flags never collide with configuration keys.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "cli_support.h"
#include "commands.h"
#include "runtime/log.h"

namespace {

using waybill::Config;
namespace cli = waybill::cli;

constexpr const char* kCommands =
    "Commands:\n"
    "  help [COMMAND]                  this list, or one command's usage\n"
    "  api-keys create --name N --sender-domain D [...] | list [--all] | revoke NAME|ID\n"
    "                                  keys of the HTTP submission API (a new key is printed once)\n"
    "  db init [--admin-url URL]       create the role and database of database.url, then the schema\n"
    "  db migrate [--migrations DIR]   apply pending schema migrations (idempotent)\n"
    "  db prune --older-than 13months  drop whole months of events older than that [--dry-run]\n"
    "  dns records|check [DOMAIN] [--resolver ADDR[:PORT]]\n"
    "                                  the DNS records this host needs; whether DNS has them right\n"
    "  keys token [--id N]             print a new tracking-token key line\n"
    "  keys generate --domain D --selector S --algorithm rsa|ed25519 [--bits N] [--dir DIR]\n"
    "                                  write a DKIM key, print its DNS record\n"
    "  postfix-setup [--dry-run] [--undo] [-c DIR]\n"
    "                                  add Waybill to a Postfix instance (postconf; idempotent),\n"
    "                                  or put back what it changed (--undo)\n"
    "  report [--sender S] [--since D] [--until D] [--html FILE]  delivery numbers (table, HTML page)\n"
    "  suppress add|remove RECIPIENT (--sender A | --domain D | --global) [--reason R]\n"
    "  suppress list [RECIPIENT]       show suppressions\n"
    "  schedule list [--all] | cancel ID   messages held until their X-Waybill-Send-At\n"
    "  webhooks list|test NAME|replay --since TIME [--endpoint NAME]\n"
    "                                  webhook endpoints and backlog; send a test; resend events\n";

// Global options all take a value except --help/--version; the first bare word is the command.
int commandIndex(int argc, char** argv) {
  int i = 1;
  while (i < argc && argv[i][0] == '-') {
    const bool takes_value = std::strchr(argv[i], '=') == nullptr && std::strcmp(argv[i], "--help") != 0 &&
                             std::strcmp(argv[i], "-h") != 0 && std::strcmp(argv[i], "--version") != 0;
    i += takes_value ? 2 : 1;
  }
  return i;
}

struct Command {
  int (*run)(const Config&, const cli::Args&);
  const char* (*usage)();
};

const std::map<std::string, Command>& commandTable() {
  static const std::map<std::string, Command> table = {
      {"api-keys", {cli::runApiKeys, cli::apiKeysUsage}},
      {"db", {cli::runDb, cli::dbUsage}},
      {"dns", {cli::runDns, cli::dnsUsage}},
      {"keys", {cli::runKeys, cli::keysUsage}},
      {"postfix-setup", {cli::runPostfixSetup, cli::postfixSetupUsage}},
      {"report", {cli::runReport, cli::reportUsage}},
      {"suppress", {cli::runSuppress, cli::suppressUsage}},
      {"schedule", {cli::runSchedule, cli::scheduleUsage}},
      {"webhooks", {cli::runWebhooks, cli::webhooksUsage}}};
  return table;
}

bool asksForHelp(const cli::Args& args) {
  return std::any_of(args.begin(), args.end(), [](const std::string& a) { return a == "--help" || a == "-h"; });
}

// `waybill help [COMMAND]`: the overview, or one command's usage; an unknown name is a usage error.
int help(const cli::Args& args) {
  if (args.empty()) return fmt::print("Usage: waybill [options] COMMAND [ARGS]\n\n{}", kCommands), 0;
  auto it = commandTable().find(args[0]);
  if (it == commandTable().end() || args.size() > 1) {
    fmt::print(stderr, "waybill help: unknown command '{}'\n{}", args[0], kCommands);
    return cli::kExitUsage;
  }
  fmt::print("{}", it->second.usage());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace waybill;
  const int command_at = std::min(commandIndex(argc, argv), argc);
  ConfigParser parser("waybill", std::string("Operator command for Waybill.\n\n") + kCommands +
                                     "\nUsage: waybill [options] COMMAND [ARGS]\n"
                                     "       waybill help COMMAND   (or waybill COMMAND --help)");
  auto parsed = parser.parse(command_at, argv);
  if (!parsed) {
    fmt::print(stderr, "waybill: {}\n", parsed.error());
    return cli::kExitConfig;
  }
  if (parsed->exit_now) return parsed->exit_code;
  if (command_at >= argc) {
    fmt::print(stderr, "waybill: no command given\n{}", kCommands);
    return cli::kExitUsage;
  }
  const std::string command = argv[command_at];
  const cli::Args args(argv + command_at + 1, argv + argc);
  if (command == "help") return help(args);
  auto it = commandTable().find(command);
  if (it == commandTable().end()) {
    fmt::print(stderr, "waybill: unknown command '{}'\n{}", command, kCommands);
    return cli::kExitUsage;
  }
  if (asksForHelp(args)) return fmt::print("{}", it->second.usage()), 0;
  const Config& config = *parsed->config;
  log::init("waybill", {true, false, config.log.level});
  return it->second.run(config, args);
}
