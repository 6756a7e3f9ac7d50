// waybill: the operator's command. Global options (--config FILE, --section.key VALUE) come
// before the command, so a command's own flags never collide with configuration keys.
#include <fmt/format.h>

#include <cstring>
#include <map>

#include "commands.h"
#include "log/log.h"

namespace {

constexpr const char* kCommands =
    "Commands:\n"
    "  db migrate [--migrations DIR]   apply pending schema migrations (idempotent)\n"
    "  db prune --older-than 13months  drop whole months of events older than that [--dry-run]\n"
    "  keys token [--id N]             print a new tracking-token key line\n"
    "  keys generate --domain D --selector S --algorithm rsa|ed25519 [--bits N] [--dir DIR]\n"
    "                                  write a DKIM key, print its DNS record\n"
    "  postfix-setup [--dry-run] [-c DIR]  add Waybill to a Postfix instance (postconf; idempotent)\n"
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

}  // namespace

int main(int argc, char** argv) {
  using namespace waybill;
  const int command_at = std::min(commandIndex(argc, argv), argc);
  ConfigParser parser("waybill", std::string("Operator command for Waybill.\n\n") + kCommands +
                                     "\nUsage: waybill [options] COMMAND [ARGS]");
  auto parsed = parser.parse(command_at, argv);
  if (!parsed) {
    fmt::print(stderr, "waybill: {}\n", parsed.error());
    return 78;
  }
  if (parsed->exit_now) return parsed->exit_code;
  if (command_at >= argc) {
    fmt::print(stderr, "waybill: no command given\n{}", kCommands);
    return 64;
  }
  const Config& config = *parsed->config;
  log::init("waybill", {true, false, config.log.level});
  const std::string command = argv[command_at];
  const cli::Args args(argv + command_at + 1, argv + argc);
  static const std::map<std::string, int (*)(const Config&, const cli::Args&)> kTable = {
      {"db", cli::runDb}, {"keys", cli::runKeys}, {"postfix-setup", cli::runPostfixSetup}, {"report", cli::runReport}, {"suppress", cli::runSuppress}, {"schedule", cli::runSchedule}, {"webhooks", cli::runWebhooks}};
  auto it = kTable.find(command);
  if (it == kTable.end()) {
    fmt::print(stderr, "waybill: unknown command '{}'\n{}", command, kCommands);
    return 64;
  }
  return it->second(config, args);
}
