// `waybill dns records [DOMAIN]` prints the DNS records this host's configuration needs, as zone
// file lines; `waybill dns check [DOMAIN] [--resolver ADDR[:PORT]]` asks DNS for each of them and
// says whether it is right. The domains come from the configuration: the DKIM key table (each
// key's domain and selector, its public half from the private key file), milter.bounce_domains
// and pipe.bounce_domain, tracking.base_url, dns.sending_addresses.
#include <fmt/format.h>
#include <unistd.h>

#include <climits>
#include <optional>

#include "cli_support.h"
#include "commands.h"
#include "dkim/key_generator.h"
#include "dkim/signing_tables.h"
#include "dns/dns_checks.h"
#include "dns_resolver.h"
#include "mail/address.h"
#include "mail/address_syntax.h"

namespace waybill::cli {
namespace {

constexpr const char* kUsage =
    "usage: waybill dns records [DOMAIN]\n"
    "       waybill dns check [DOMAIN] [--resolver ADDR[:PORT]]\n"
    "  records   print the zone-file lines this host needs: DKIM TXT per key, DMARC per sending domain;\n"
    "            SPF, MX, MTA-STS and TLS-RPT (optional) per bounce domain; the tracking host's address\n"
    "  check     ask DNS for each and judge it: ok, WRONG, MISSING (with the line to publish), UNKNOWN\n"
    "  DOMAIN    only this sending domain's records (default: every domain of dkim.key_table)\n"
    "  --resolver  the DNS server to ask (default dns.resolver, else /etc/resolv.conf's)\n"
    "Exit status of check: 0 every record right, 1 a record wrong or missing, 75 DNS did not answer.\n";

constexpr int kExitRecordsWrong = 1;

struct DnsArgs {
  std::string action;
  std::string domain;
  std::optional<std::string> resolver;
};

Result<DnsArgs> parseArgs(const Args& args) {
  if (args.empty() || (args[0] != "check" && args[0] != "records")) return makeError("give check or records");
  DnsArgs parsed{args[0], "", std::nullopt};
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--resolver" && parsed.action == "check" && i + 1 < args.size()) {
      auto server = dns::parseServerAddress(args[++i]);
      if (!server) return makeError("--resolver: " + server.error());
      parsed.resolver = args[i];
    } else if (args[i][0] != '-' && parsed.domain.empty()) {
      auto domain = parseDomain(args[i]);
      if (!domain) return makeError(fmt::format("DOMAIN '{}': {}", args[i], domain.error()));
      parsed.domain = toLower(*domain);
    } else {
      return makeError(fmt::format("unexpected argument '{}'", args[i]));
    }
  }
  return parsed;
}

std::string trackingHost(const std::string& base_url) {
  const auto scheme = base_url.find("//");
  if (scheme == std::string::npos) return "";
  const std::size_t at = scheme + 2;
  return toLower(base_url.substr(at, base_url.find_first_of("/:?#", at) - at));
}

Result<std::map<std::string, std::string>> parseBounceDomains(const std::string& text) {
  std::map<std::string, std::string> map;
  for (const auto& item : splitList(text)) {
    const auto parts = splitList(item, '=');
    if (parts.size() != 2)
      return makeError(fmt::format("option 'milter.bounce_domains': '{}' is not SENDERDOMAIN=BOUNCEDOMAIN", item));
    map[toLower(parts[0])] = toLower(parts[1]);
  }
  return map;
}

std::string hostName() {
  char name[HOST_NAME_MAX + 1] = {};
  // A short name is no MX target: the zone line then says MAIL-HOST for the operator to fill in.
  const std::string host = ::gethostname(name, sizeof name - 1) == 0 ? std::string(name) : std::string();
  return host.find('.') == std::string::npos ? std::string() : host;
}

// The mail setup the configuration describes; errors name the option and the problem.
Result<dns::MailSetup> mailSetup(const Config& config) {
  dns::MailSetup setup;
  if (!config.dkim.key_table.empty()) {
    auto table = dkim::KeyTable::load(config.dkim.key_table);
    if (!table) return makeError(fmt::format("option 'dkim.key_table': {}", table.error()));
    for (const auto& entry : table->entries()) {
      auto key = dkim::loadSigningKey(entry);
      if (!key) return makeError(fmt::format("option 'dkim.key_table': {}", key.error()));
      auto public_half = dkim::publicKeyBase64(key->pem);
      if (!public_half) return makeError(fmt::format("option 'dkim.key_table': {}: {}", entry.key_path, public_half.error()));
      setup.dkim_keys.push_back({toLower(entry.domain), entry.selector, key->algorithm, *public_half, entry.key_path});
    }
  }
  auto bounce_domains = parseBounceDomains(config.milter.bounce_domains);
  if (!bounce_domains) return makeError(bounce_domains.error());
  setup.bounce_domains = std::move(*bounce_domains);
  setup.default_bounce_domain = toLower(config.pipe.bounce_domain);
  setup.tracking_host = trackingHost(config.tracking.base_url);
  setup.sending_addresses = config.dns.sending_addresses;
  setup.mail_host = hostName();
  if (setup.dkim_keys.empty() && setup.bounce_domains.empty())
    return makeError("option 'dkim.key_table': not set, so there is no sending domain to look at");
  return setup;
}

int printRecords(const std::vector<dns::RequiredRecord>& records) {
  for (const auto& record : records)
    fmt::print("; {}{} for {}\n{}\n", dns::kindName(record.kind), record.optional ? " (optional)" : "", record.domain, record.publish);
  return 0;
}

int checkRecords(const std::vector<dns::RequiredRecord>& records, const dns::MailSetup& setup, dns::DnsLookup& lookup) {
  bool wrong = false, unknown = false;
  fmt::print("{:<8} {:<14} {:<7} {:<44} {}\n", "VERDICT", "RECORD", "TYPE", "NAME", "DETAIL");
  for (const auto& record : records) {
    const auto judgement = dns::judge(record, setup, lookup);
    const bool counted = !(record.optional && judgement.verdict == dns::Verdict::Missing);
    wrong |= counted && (judgement.verdict == dns::Verdict::Wrong || judgement.verdict == dns::Verdict::Missing);
    unknown |= judgement.verdict == dns::Verdict::Unknown;
    fmt::print("{:<8} {:<14} {:<7} {:<44} {}\n", dns::verdictName(judgement.verdict), dns::kindName(record.kind),
               record.type, record.name, judgement.detail);
    if (judgement.verdict == dns::Verdict::Wrong || (judgement.verdict == dns::Verdict::Missing && counted))
      fmt::print("{:<8} publish: {}\n", "", record.publish);
  }
  if (wrong) return kExitRecordsWrong;
  return unknown ? kExitTempFail : 0;
}

}  // namespace

int runDns(const Config& config, const Args& args) {
  auto parsed = parseArgs(args);
  if (!parsed) return fmt::print(stderr, "waybill dns: {}\n{}", parsed.error(), kUsage), kExitUsage;
  auto setup = mailSetup(config);
  if (!setup) return fmt::print(stderr, "waybill dns {}: {}\n", parsed->action, setup.error()), kExitConfig;
  const auto records = dns::requiredRecords(*setup, parsed->domain);
  if (records.empty() || (!parsed->domain.empty() && records.front().domain != parsed->domain)) {
    fmt::print(stderr, "waybill dns {}: '{}' is not a sending domain of this configuration (dkim.key_table, milter.bounce_domains)\n",
               parsed->action, parsed->domain);
    return kExitUsage;
  }
  if (parsed->action == "records") return printRecords(records);
  auto resolver = DnsResolver::open(parsed->resolver.value_or(config.dns.resolver));
  if (!resolver) return fmt::print(stderr, "waybill dns check: {}\n", resolver.error()), kExitTempFail;
  return checkRecords(records, *setup, **resolver);
}

const char* dnsUsage() { return kUsage; }

}  // namespace waybill::cli
