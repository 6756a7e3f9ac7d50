// `waybill api-keys create --name NAME --sender-domain DOMAIN [--sender-domain DOMAIN ...]`,
// `waybill api-keys list [--all]` and `waybill api-keys revoke NAME|ID`: the keys applications
// present to the HTTP submission API. A new key is printed once, alone on the last line; only its
// digest is stored (core/api/api_key.h).
#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "api/api_key.h"
#include "cli_support.h"
#include "commands.h"
#include "store/api_key_store.h"

namespace waybill::cli {
namespace {

constexpr const char* kUsage =
    "usage: waybill api-keys create --name NAME --sender-domain DOMAIN [--sender-domain DOMAIN ...]\n"
    "       waybill api-keys list [--all]       live keys (--all: revoked ones too)\n"
    "       waybill api-keys revoke NAME|ID\n"
    "NAME: letters, digits, '.', '_' and '-' (at most 64); a key sends only From addresses in its domains.\n";

struct CreateArgs {
  std::string name;
  std::vector<std::string> domains;
};

bool validName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
      return false;
  return true;
}

Result<CreateArgs> parseCreate(const Args& args) {
  CreateArgs parsed;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (i + 1 >= args.size() || (args[i] != "--name" && args[i] != "--sender-domain")) return makeError(unexpected(args[i]));
    const std::string& value = args[++i];
    if (args[i - 1] == "--name") {
      if (!validName(value)) return makeError(fmt::format("--name '{}': use letters, digits, '.', '_' and '-'", value));
      parsed.name = value;
    } else {
      auto domain = api::senderDomain(value);
      if (!domain) return makeError(fmt::format("--sender-domain '{}': {}", value, domain.error()));
      if (std::find(parsed.domains.begin(), parsed.domains.end(), *domain) == parsed.domains.end())
        parsed.domains.push_back(*domain);
    }
  }
  if (parsed.name.empty()) return makeError("--name is missing");
  if (parsed.domains.empty()) return makeError("at least one --sender-domain is needed");
  return parsed;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

int create(PgConnection& conn, const CreateArgs& args) {
  const api::GeneratedApiKey key = api::generateApiKey();
  auto id = store::createApiKey(conn, args.name, key.digest, key.shown, args.domains);
  if (!id) {
    fmt::print(stderr, "waybill api-keys create: {}\n", id.error());
    return id.error().starts_with("a live key named") ? kExitUsage : kExitSoftware;
  }
  fmt::print("created API key '{}' ({}, {}...) for sender domains {}\n", args.name, *id, key.shown, joined(args.domains));
  fmt::print("it is shown only now; give it to the application as Authorization: Bearer KEY:\n{}\n", key.secret);
  return 0;
}

int list(PgConnection& conn, bool with_revoked) {
  auto keys = store::listApiKeys(conn, with_revoked);
  if (!keys) {
    fmt::print(stderr, "waybill api-keys list: {}\n", keys.error());
    return kExitSoftware;
  }
  fmt::print("{:<24} {:<36} {:<15} {:<19} {:<19} {:<19} {}\n", "NAME", "ID", "KEY", "CREATED", "LAST_USED", "REVOKED",
             "SENDER_DOMAINS");
  for (const store::ApiKeyRow& key : *keys)
    fmt::print("{:<24} {:<36} {:<15} {:<19} {:<19} {:<19} {}\n", key.name, key.id, key.shown + "...", key.created_at,
               key.last_used_at.empty() ? "-" : key.last_used_at, key.revoked_at.empty() ? "-" : key.revoked_at,
               joined(key.sender_domains));
  return 0;
}

int revoke(PgConnection& conn, const std::string& name_or_id) {
  auto revoked = store::revokeApiKey(conn, name_or_id);
  if (!revoked) {
    fmt::print(stderr, "waybill api-keys revoke: {}\n", revoked.error());
    return kExitSoftware;
  }
  if (!*revoked) {
    fmt::print(stderr, "waybill api-keys revoke: no live key named '{}'\n", name_or_id);
    return 1;
  }
  fmt::print("revoked API key '{}' ({}, {}...)\n", (*revoked)->name, (*revoked)->id, (*revoked)->shown);
  return 0;
}

}  // namespace

int runApiKeys(const Config& config, const Args& args) {
  const std::string sub = args.empty() ? "" : args[0];
  const Args rest(args.empty() ? args.end() : args.begin() + 1, args.end());
  std::optional<CreateArgs> create_args;
  if (sub == "create") {
    auto parsed = parseCreate(rest);
    if (!parsed) return usageError("api-keys create", parsed.error(), kUsage);
    create_args = std::move(*parsed);
  } else if (sub == "list") {
    if (rest.size() > 1 || (rest.size() == 1 && rest[0] != "--all")) return usageError("api-keys list", unexpected(rest.back()), kUsage);
  } else if (sub == "revoke") {
    if (rest.size() != 1 || rest[0].starts_with("-"))
      return usageError("api-keys revoke", rest.empty() ? "(no NAME or ID)" : unexpected(rest.back()), kUsage);
  } else {
    return usageError("api-keys", sub.empty() ? "(no subcommand)" : unexpected(sub), kUsage);
  }
  int failed = 0;
  auto conn = openDatabase(config, "api-keys", failed);
  if (!conn) return failed;
  if (create_args) return create(*conn, *create_args);
  if (sub == "list") return list(*conn, rest.size() == 1);
  return revoke(*conn, rest[0]);
}

const char* apiKeysUsage() { return kUsage; }

}  // namespace waybill::cli
